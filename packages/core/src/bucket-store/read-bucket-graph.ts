import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type BucketHead, decodeHead } from "./bucket-head.ts";
import { HEAD_KEY } from "./bucket-keys.ts";
import {
  applyRecord,
  MissingObjectError,
  readJournalObject,
  readSnapshotObject,
  unwrapMissing,
} from "./bucket-objects.ts";

/** The graph a bucket holds, and the head it was read through. */
export interface BucketGraph {
  readonly graph: KnowledgeGraph;
  readonly head: BucketHead;
}

export interface ReadBucketGraphOptions {
  hasher?: HasherFactory;
  /** Timestamp for records of old documents that lack one (ISO 8601). Default: now. */
  now?: string;
}

/** Head re-reads when an object it names has gone (a writer compacted meanwhile). */
const MAX_HEAD_READS = 5;

/**
 * Reads the graph the Worker kept in R2 before issue 12 (`BucketGraphStore`'s layout, see
 * `bucket-keys.ts`), without writing anything: the head, the snapshot it names and its journal
 * objects replayed in order — the same checks and the same replay as that store's first load
 * of a bucket, so the graph (and its `seq`) is exactly the one it served. `null` when there is
 * no head: no graph was ever written there.
 *
 * Damage (a bad checksum, a record that does not continue the snapshot, an object the head
 * names missing for good) is an `IntegrityError` naming the object. Unlike the store, this
 * never repairs anything: a migration must not turn damage into a silently different graph.
 */
export async function readBucketGraph(
  storage: StorageAdapter,
  options: ReadBucketGraphOptions = {},
): Promise<BucketGraph | null> {
  const hasher = options.hasher ?? createSha256;
  const now = options.now ?? new Date().toISOString();
  for (let attempt = 1; ; attempt++) {
    const stored = await storage.get(HEAD_KEY);
    if (!stored) return null;
    const head = decodeHead(stored.body);
    try {
      const graph = await readSnapshotObject(storage, head.snapshot, hasher, now);
      if (!graph) throw new MissingObjectError(head.snapshot.key);
      const records = await Promise.all(
        head.journal.map(async (entry) => {
          const record = await readJournalObject(storage, entry, hasher);
          if (!record) throw new MissingObjectError(entry.key);
          return record;
        }),
      );
      for (const [i, record] of records.entries()) applyRecord(graph, record.changes, head.journal[i]!.key);
      return { graph, head };
    } catch (err) {
      // A writer still running old code may have compacted after we read the head (it removes
      // the objects the old head named): the new head names objects that exist. Read it again.
      if (!(err instanceof MissingObjectError) || attempt >= MAX_HEAD_READS) throw unwrapMissing(err);
    }
  }
}
