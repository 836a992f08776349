import type { StorageAdapter } from "../storage/adapter.ts";
import { nextTimestampId } from "./timestamp-ids.ts";

/** What open did when `graph.json` or `graph.journal` was damaged or missing (SPEC section 6). */
export interface RecoveryReport {
  file: string;
  error: { code: string; message: string };
  /** The key(s) the graph was recovered from. */
  recoveredFrom: string;
  recoveredSeq: number;
  /** Where the damaged bytes were kept, if they were. */
  preservedAs: string | null;
  /** Where a copy of the journal was kept when some of its records could not be replayed. */
  journalPreservedAs?: string;
  /** What could not be recovered, in words ("nothing" when the recovery was lossless). */
  lost: string;
  /** Every acknowledged change survived: the journal continued the source and replayed in full. */
  lossless: boolean;
  /** When the recovery happened (ISO time). */
  at?: string;
}

/**
 * Recovery reports wait here until an operator acknowledges them (`dawsos verify
 * --ack-recovery`), so a recovery that lost something keeps `dawsos verify` failing instead of
 * being forgotten at the next restart. Not a top-level `*.json`: backups do not copy it.
 */
export const RECOVERY_REPORTS_KEY = "recovery/pending.json";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The reports not yet acknowledged, oldest first (an unreadable file counts as one lossy report). */
export async function readPendingRecoveries(storage: StorageAdapter): Promise<RecoveryReport[]> {
  const stored = await storage.get(RECOVERY_REPORTS_KEY);
  if (!stored) return [];
  try {
    const parsed = JSON.parse(decoder.decode(stored.body)) as unknown;
    if (Array.isArray(parsed)) return parsed as RecoveryReport[];
  } catch {
    // fall through: damage must not hide that a recovery happened
  }
  return [
    {
      file: RECOVERY_REPORTS_KEY,
      error: { code: "malformed_json", message: "the recovery report file is unreadable" },
      recoveredFrom: "unknown",
      recoveredSeq: -1,
      preservedAs: null,
      lost: "unknown: the report of an earlier recovery could not be read",
      lossless: false,
    },
  ];
}

/** Adds a report to the pending ones (crash-safe replace through the adapter). */
export async function recordRecovery(storage: StorageAdapter, report: RecoveryReport): Promise<void> {
  const pending = await readPendingRecoveries(storage);
  pending.push(report);
  await storage.put(RECOVERY_REPORTS_KEY, encoder.encode(`${JSON.stringify(pending, null, 2)}\n`));
}

/**
 * Acknowledges every pending report: they move to `recovery/acknowledged-<id>.json` (kept for
 * the record, never read again), with an id unique even for two acknowledgements in one second.
 * Returns how many there were.
 */
export async function acknowledgeRecoveries(storage: StorageAdapter, at: Date): Promise<number> {
  const stored = await storage.get(RECOVERY_REPORTS_KEY);
  if (!stored) return 0;
  const count = (await readPendingRecoveries(storage)).length;
  const prefix = "recovery/acknowledged-";
  const taken = (await storage.list(prefix)).map((o) => o.key.slice(prefix.length, -".json".length));
  await storage.put(`${prefix}${nextTimestampId(at, taken)}.json`, stored.body);
  await storage.delete(RECOVERY_REPORTS_KEY);
  return count;
}
