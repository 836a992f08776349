import { IntegrityError } from "../errors/errors.ts";
import { bytesToText } from "../storage/adapter.ts";
import type { RecoveryReport } from "../store/graph-service.ts";
import { HEAD_KEY, journalBaseOf, snapshotSeqOf } from "./bucket-keys.ts";

/** One committed journal object: its record takes the graph from `seq - count` to `seq`. */
export interface HeadJournalEntry {
  readonly key: string;
  readonly seq: number;
  readonly count: number;
  /** Size of the object in bytes (compaction is triggered by the journal's total size). */
  readonly bytes: number;
}

/**
 * `graph/head.json`: the single mutable object of the R2 store's layout (that store replaced it
 * by compare-and-swap on its etag). The graph at `seq` is the snapshot plus the journal objects,
 * applied in order; each entry continues the previous one (`seq - count` = previous `seq`).
 * `dawsos-edge-head` is the stored format name (from before the store was renamed).
 */
export interface BucketHead {
  readonly format: "dawsos-edge-head";
  readonly version: 1;
  /** The graph's `seq` (its HTTP ETag). */
  readonly seq: number;
  readonly snapshot: { readonly key: string; readonly seq: number; readonly checksum: string };
  readonly journal: readonly HeadJournalEntry[];
  /** When this head was written (for operators; never used for ordering). */
  readonly updated: string;
  /**
   * Set when a writer recovered from damage (SPEC section 6): what was damaged, where the
   * graph came from, what was lost. Carried by later heads until the graph is replaced.
   */
  readonly recovery?: RecoveryReport;
}

const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Parses and checks a stored head: shape, keys of our own shapes (a head can never make the
 * store read outside `graph/`), and an unbroken chain from the snapshot to `seq`.
 */
export function decodeHead(body: Uint8Array): BucketHead {
  const fail = (message: string, code: "malformed_json" | "invalid_document" = "invalid_document") =>
    new IntegrityError(code, message, { file: HEAD_KEY });
  let raw: unknown;
  try {
    raw = JSON.parse(bytesToText(body));
  } catch (cause) {
    throw new IntegrityError("malformed_json", "not valid JSON", { file: HEAD_KEY, cause });
  }
  const head = raw as BucketHead;
  if (head?.format !== "dawsos-edge-head" || head.version !== 1) throw fail("not a DawsOS head document");
  if (!isSeq(head.seq) || typeof head.updated !== "string") throw fail("seq or updated is invalid");
  const snapshot = head.snapshot;
  if (
    typeof snapshot?.key !== "string" ||
    snapshotSeqOf(snapshot.key) !== snapshot.seq ||
    !isSeq(snapshot.seq) ||
    typeof snapshot.checksum !== "string" ||
    !/^[0-9a-f]{64}$/.test(snapshot.checksum)
  ) {
    throw fail("snapshot reference is invalid");
  }
  if (!Array.isArray(head.journal)) throw fail("journal is not a list");
  let at = snapshot.seq;
  for (const entry of head.journal) {
    if (
      typeof entry?.key !== "string" ||
      !isSeq(entry.seq) ||
      !Number.isSafeInteger(entry.count) ||
      entry.count < 1 ||
      !isSeq(entry.bytes) ||
      journalBaseOf(entry.key) !== entry.seq - entry.count ||
      entry.seq - entry.count !== at
    ) {
      throw fail(`journal entry ${JSON.stringify(entry?.key)} does not continue seq ${at}`);
    }
    at = entry.seq;
  }
  if (at !== head.seq) throw fail(`the journal ends at seq ${at}, not at the head's seq ${head.seq}`);
  const recovery = head.recovery as Partial<RecoveryReport> | undefined;
  if (
    recovery !== undefined &&
    (typeof recovery?.file !== "string" ||
      typeof recovery.recoveredFrom !== "string" ||
      typeof recovery.lost !== "string" ||
      typeof recovery.error?.code !== "string")
  ) {
    throw fail("recovery report is invalid");
  }
  return head;
}
