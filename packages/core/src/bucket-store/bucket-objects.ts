import { IntegrityError, StorageError } from "../errors/errors.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { decodeJournalRecord, type JournalRecord } from "../journal/journal-record.ts";
import { bytesToText, type StorageAdapter } from "../storage/adapter.ts";
import { readSnapshotFrom } from "../store/snapshot-io.ts";
import type { BucketHead, HeadJournalEntry } from "./bucket-head.ts";

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
