import { CHANGES_PREFIX, decodeSegment, listSegments } from "../changes/change-segments.ts";
import { DawsosError } from "../errors/errors.ts";
import { checkDocumentStream } from "../format/check-document.ts";
import { NOT_LINE_LAYOUT } from "../format/document-records.ts";
import { parseJsonDocument } from "../format/read-document.ts";
import { workflowHistorySchema } from "../format/schemas.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { scanJournal } from "../journal/read-journal.ts";
import type { ListedObject, StorageAdapter } from "../storage/adapter.ts";
import { meterReads } from "../storage/metered-reads.ts";
import { type OnProgress, progressStep } from "../util/progress.ts";
import { listBackupIds, readManifest, verifyBackupFiles } from "./backup-files.ts";
import { RECOVERY_REPORTS_KEY, type RecoveryReport } from "./recovery-report.ts";
import { readSnapshotFrom } from "./snapshot-io.ts";
import {
  BACKUPS_PREFIX,
  backupPrefix,
  GRAPH_KEY,
  HISTORY_KEY,
  JOURNAL_KEY,
  MANIFEST_NAME,
  SEED_KEY,
  versionIdOf,
} from "./storage-keys.ts";

export interface FileCheck {
  key: string;
  ok: boolean;
  error?: { code: string; message: string };
  /** Something worth knowing that is not damage (e.g. a torn journal tail a crash left). */
  note?: string;
}

/** `GET /api/integrity`, `dawsos verify`. */
export interface IntegrityReport {
  ok: boolean;
  files: FileCheck[];
  recovery?: RecoveryReport;
}

function failure(key: string, err: unknown): FileCheck {
  if (err instanceof DawsosError) return { key, ok: false, error: { code: err.code, message: err.message } };
  throw err;
}

/**
 * Checks every stored file on its own: the graph snapshot and each version (checksum and
 * schema), each backup (manifest present, every file matching its manifest checksum, its graph
 * valid), the seed document and the workflow history. Nothing is written.
 */
export async function verifyStorage(
  storage: StorageAdapter,
  options: { hasher?: HasherFactory; now: string; onProgress?: OnProgress },
): Promise<IntegrityReport> {
  if (options.onProgress) {
    // Every check reads through one counting view: progress is the bytes really read.
    const total = bytesToVerify(await storage.list(""));
    storage = meterReads(storage, progressStep(options.onProgress, "verifying", "bytes", total));
  }
  const files: FileCheck[] = [];
  const hasher = options.hasher ?? createSha256;
  const checkGraph = graphChecker(storage, { hasher, now: options.now }, files);
  // Found or not by the check itself: no separate read of a file that may be gigabytes.
  if (!(await checkGraph(GRAPH_KEY, true))) {
    files.push({
      key: GRAPH_KEY,
      ok: false,
      error: { code: "empty_file", message: "graph.json is missing" },
    });
  }
  const journal = await storage.get(JOURNAL_KEY);
  if (journal) files.push(checkJournal(journal.body, hasher));
  await checkChangeSegments(storage, hasher, files);
  await verifyStateFiles(storage, { hasher, now: options.now }, files);
  return { ok: files.every((f) => f.ok), files };
}

/**
 * Verifies one stored graph document (streamed: never the whole file as one string). Resolves
 * `false` when nothing is stored under the key (nothing is reported then).
 */
function graphChecker(
  storage: StorageAdapter,
  options: { hasher: HasherFactory; now: string },
  files: FileCheck[],
): (key: string, allowUnchecksummed: boolean) => Promise<boolean> {
  return async (key, allowUnchecksummed) => {
    try {
      if (!(await checkStoredGraph(storage, key, { ...options, allowUnchecksummed }))) return false;
      files.push({ key, ok: true });
    } catch (err) {
      files.push(failure(key, err));
    }
    return true;
  };
}

/**
 * What `verifyStorage` will read, in bytes, from one listing taken before it starts: the
 * graph, journal, change segments, versions, seed and history, and every file of each complete
 * backup — its graph twice (hashed against the manifest, then checked record by record).
 */
function bytesToVerify(listing: readonly ListedObject[]): number {
  const complete = new Set<string>();
  for (const { key } of listing) {
    if (key.startsWith(BACKUPS_PREFIX) && key.endsWith(`/${MANIFEST_NAME}`))
      complete.add(key.slice(0, -MANIFEST_NAME.length));
  }
  let total = 0;
  for (const { key, size } of listing) {
    if (key.startsWith(BACKUPS_PREFIX)) {
      const prefix = key.slice(0, key.indexOf("/", BACKUPS_PREFIX.length) + 1);
      if (complete.has(prefix)) total += key === `${prefix}${GRAPH_KEY}` ? 2 * size : size;
    } else if (
      key === GRAPH_KEY ||
      key === JOURNAL_KEY ||
      key === SEED_KEY ||
      key === HISTORY_KEY ||
      key.startsWith(CHANGES_PREFIX) ||
      versionIdOf(key) !== null
    ) {
      total += size;
    }
  }
  return total;
}

/**
 * Checks one stored graph document; `false` when there is none. Our line layout (what every
 * store writes) is checked as it streams, without building the graph (`checkDocumentStream`);
 * other layouts (pretty JSON, Python files) are loaded whole, as opening them would.
 */
async function checkStoredGraph(
  storage: StorageAdapter,
  key: string,
  options: { hasher: HasherFactory; now: string; allowUnchecksummed: boolean },
): Promise<boolean> {
  if (storage.getStream) {
    const stream = await storage.getStream(key);
    if (!stream) return false;
    if ((await checkDocumentStream(stream, key, options.hasher)) !== NOT_LINE_LAYOUT) return true;
  }
  return (await readSnapshotFrom(storage, key, options)) !== null;
}

/**
 * The checks every layout shares (filesystem and shared/edge): each version (checksum and
 * schema), the seed document, the workflow history and each backup. Appends to `files`.
 */
export async function verifyStateFiles(
  storage: StorageAdapter,
  options: { hasher: HasherFactory; now: string },
  files: FileCheck[],
): Promise<void> {
  const hasher = options.hasher;
  const checkGraph = graphChecker(storage, options, files);
  for (const { key } of await storage.list("graph_")) {
    if (versionIdOf(key)) await checkGraph(key, false);
  }
  // Streamed when it is in our layout (what a store writes); other formats are read whole.
  await checkGraph(SEED_KEY, true);
  const history = await storage.get(HISTORY_KEY);
  if (history) {
    try {
      const parsed = workflowHistorySchema.safeParse(parseJsonDocument(history.body, HISTORY_KEY));
      files.push(
        parsed.success
          ? { key: HISTORY_KEY, ok: true }
          : {
              key: HISTORY_KEY,
              ok: false,
              error: { code: "invalid_document", message: parsed.error.message },
            },
      );
    } catch (err) {
      files.push(failure(HISTORY_KEY, err));
    }
  }
  for (const { id, complete } of await listBackupIds(storage)) {
    const manifestKey = `${backupPrefix(id)}${MANIFEST_NAME}`;
    if (!complete) {
      // Interrupted (or still being written): never used for restore or recovery, and removed
      // by the next writable open. Not damage to anything acknowledged.
      files.push({
        key: manifestKey,
        ok: true,
        note: "incomplete backup (no manifest.json yet): ignored, removed on the next writable open",
      });
      continue;
    }
    try {
      const manifest = await readManifest(storage, id);
      await verifyBackupFiles(storage, manifest, hasher);
      if (manifest.files.some((f) => f.name === GRAPH_KEY)) {
        await checkStoredGraph(storage, `${backupPrefix(id)}${GRAPH_KEY}`, {
          hasher,
          now: options.now,
          allowUnchecksummed: true,
        });
      }
      files.push({ key: backupPrefix(id), ok: true });
    } catch (err) {
      files.push(failure(backupPrefix(id), err));
    }
  }
}

/**
 * Adds the recoveries no operator has acknowledged yet: one entry under `recovery/` each. A
 * recovery that lost acknowledged changes is damage until acknowledged (`ok: false`), so
 * `dawsos verify` keeps exiting 1 after a lossy recovery instead of calling the storage healthy.
 */
export function withRecoveries(report: IntegrityReport, pending: readonly RecoveryReport[]): IntegrityReport {
  if (pending.length === 0) return report;
  const files = [...report.files];
  for (const recovery of pending) {
    const what = `recovered ${recovery.file}${recovery.at ? ` at ${recovery.at}` : ""} from ${recovery.recoveredFrom}`;
    const ack = "acknowledge with `dawsos verify --ack-recovery`";
    files.push(
      recovery.lossless
        ? { key: RECOVERY_REPORTS_KEY, ok: true, note: `${what}; nothing lost (${ack})` }
        : {
            key: RECOVERY_REPORTS_KEY,
            ok: false,
            error: { code: "data_lost", message: `${what}; lost: ${recovery.lost} (${ack})` },
          },
    );
  }
  return { ok: files.every((f) => f.ok), files, recovery: pending[pending.length - 1] };
}

/**
 * Each retained change segment (`changes/<from>-<to>.jsonl`): every line's checksum, records
 * continuing each other, and the range its name states. Written whole, so any damage counts.
 */
async function checkChangeSegments(
  storage: StorageAdapter,
  hasher: HasherFactory,
  files: FileCheck[],
): Promise<void> {
  for (const { key, from, to } of await listSegments(storage)) {
    const stored = await storage.get(key);
    if (!stored) continue;
    const decoded = decodeSegment(stored.body, hasher);
    if ("problem" in decoded) {
      files.push({
        key,
        ok: false,
        error: {
          code: decoded.problem === "checksum_mismatch" ? "checksum_mismatch" : "integrity_error",
          message: `line ${decoded.line} is damaged (${decoded.problem})`,
        },
      });
      continue;
    }
    const first = decoded.records[0];
    const last = decoded.records[decoded.records.length - 1];
    if (!first || !last || first.from !== from || last.seq !== to) {
      files.push({
        key,
        ok: false,
        error: { code: "integrity_error", message: `does not hold seq ${from}-${to} as its name says` },
      });
      continue;
    }
    files.push({ key, ok: true });
  }
}

/** Every record's checksum, and that consecutive records continue each other's `seq`. */
function checkJournal(bytes: Uint8Array, hasher: HasherFactory): FileCheck {
  const scan = scanJournal(bytes, hasher);
  if (scan.corrupt) {
    return {
      key: JOURNAL_KEY,
      ok: false,
      error: {
        code: "checksum_mismatch",
        message: `record on line ${scan.corrupt.line} is damaged (${scan.corrupt.problem}); ${scan.corrupt.recordsAfter} record(s) follow it`,
      },
    };
  }
  for (let i = 1; i < scan.records.length; i++) {
    const previous = scan.records[i - 1]!;
    const record = scan.records[i]!;
    if (record.seq - record.count !== previous.seq) {
      return {
        key: JOURNAL_KEY,
        ok: false,
        error: { code: "integrity_error", message: `record ${i + 1} does not continue seq ${previous.seq}` },
      };
    }
  }
  const check: FileCheck = { key: JOURNAL_KEY, ok: true };
  if (scan.tornTail)
    check.note = `torn tail of ${scan.tornTail.length} byte(s) from an interrupted write; dropped on open`;
  return check;
}
