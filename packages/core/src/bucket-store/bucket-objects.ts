import { IntegrityError, StorageError } from "../errors/errors.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { decodeJournalRecord, type JournalRecord } from "../journal/journal-record.ts";
import { scanJournal } from "../journal/read-journal.ts";
import { bytesToText, type StorageAdapter } from "../storage/adapter.ts";
import { readSnapshotFrom } from "../store/snapshot-io.ts";
import { GRAPH_KEY, JOURNAL_KEY } from "../store/storage-keys.ts";
import type { BucketHead, HeadJournalEntry } from "./bucket-head.ts";
import { JOURNAL_PREFIX, journalBaseOf, SNAPSHOTS_PREFIX, snapshotSeqOf } from "./bucket-keys.ts";

/**
 * Reads and verifies the snapshot a head names: its own checksum, and that it is the very
 * document the head names (same checksum and `seq`). `null` when the object is missing.
 */
export async function readSnapshotObject(
  storage: StorageAdapter,
  ref: BucketHead["snapshot"],
  hasher: HasherFactory,
  now: string,
): Promise<KnowledgeGraph | null> {
  const loaded = await readSnapshotFrom(storage, ref.key, { hasher, now });
  if (!loaded) return null;
  if (loaded.checksum !== ref.checksum || loaded.graph.seq !== ref.seq) {
    throw new IntegrityError("checksum_mismatch", "snapshot is not the document the head names", {
      file: ref.key,
    });
  }
  return loaded.graph;
}

/**
 * Reads and verifies one journal object (a single `graph.journal` line with its SHA-256) and
 * checks it is the commit the head names. `null` when the object is missing.
 */
export async function readJournalObject(
  storage: StorageAdapter,
  entry: HeadJournalEntry,
  hasher: HasherFactory,
): Promise<JournalRecord | null> {
  const stored = await storage.get(entry.key);
  if (!stored) return null;
  const text = bytesToText(stored.body);
  const decoded = text.endsWith("\n") ? decodeJournalRecord(text.slice(0, -1), hasher) : "malformed";
  if (typeof decoded === "string") {
    throw new IntegrityError(
      decoded === "malformed" ? "malformed_json" : "checksum_mismatch",
      "damaged record",
      {
        file: entry.key,
      },
    );
  }
  if (decoded.seq !== entry.seq || decoded.count !== entry.count) {
    throw new IntegrityError(
      "integrity_error",
      `record is seq ${decoded.seq}, the head names seq ${entry.seq}`,
      {
        file: entry.key,
      },
    );
  }
  return decoded;
}

/**
 * A bucket holding the filesystem layout (a Node `storage/` directory uploaded to R2) but no
 * head yet: its graph is `graph.json` plus the journal records that continue it. `null` when
 * there is no `graph.json`. A damaged `graph.json` is refused (`IntegrityError`), never seeded over.
 */
export async function importFsLayout(
  storage: StorageAdapter,
  hasher: HasherFactory,
  now: string,
): Promise<{ graph: KnowledgeGraph; records: number } | null> {
  const loaded = await readSnapshotFrom(storage, GRAPH_KEY, { hasher, now, allowUnchecksummed: true });
  if (!loaded) return null;
  const graph = loaded.graph;
  const journal = await storage.get(JOURNAL_KEY);
  let records = 0;
  for (const record of scanJournal(journal?.body ?? new Uint8Array(0), hasher).records) {
    if (record.seq <= graph.seq) continue;
    if (record.seq - record.count !== graph.seq) break;
    graph.apply(record.changes);
    records++;
  }
  return { graph, records };
}

/**
 * Deletes snapshots and journal objects older than `seq`. Safe against writers in flight: any
 * object a future head can name was written against a head at or after `seq`. A reader still
 * fetching an old object finds it gone and reads the head again.
 */
export async function removeObjectsBefore(storage: StorageAdapter, seq: number): Promise<void> {
  for (const { key } of await storage.list(SNAPSHOTS_PREFIX)) {
    const at = snapshotSeqOf(key);
    if (at !== null && at < seq) await storage.delete(key);
  }
  for (const { key } of await storage.list(JOURNAL_PREFIX)) {
    const base = journalBaseOf(key);
    if (base !== null && base < seq) await storage.delete(key);
  }
}

/** Applies a stored record; one that does not fit the graph it continues is damage, not a user error. */
export function applyRecord(graph: KnowledgeGraph, changes: readonly Change[], key: string): void {
  try {
    graph.apply(changes);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new IntegrityError("invalid_document", `record cannot be applied: ${message}`, {
      file: key,
      cause,
    });
  }
}

/** An object named by the head is missing: read the head again. */
export class MissingObjectError extends StorageError {
  constructor(readonly key: string) {
    super(`${key} is missing`);
  }
}

export function unwrapMissing(err: unknown): unknown {
  if (err instanceof MissingObjectError) {
    return new IntegrityError("integrity_error", "an object the head names is missing", { file: err.key });
  }
  return err;
}
