/**
 * Storage keys of the graph layout the Worker kept in R2 before issue 12 (`BucketGraphStore`,
 * retired; only read now, by the one-time migration into the `GraphObject`). The graph lives
 * under `graph/`; workflow history and sessions used the keys of the filesystem layout (SPEC
 * section 3).
 *
 *   graph/head.json                            the one mutable object: names the snapshot and journal
 *   graph/snapshots/<seq:16>-<rand>.json       immutable, checksummed documents (SPEC section 4)
 *   graph/journal/<base seq:16>-<rand>.jsonl   immutable, one commit each (a `graph.journal` line)
 *   graph/damaged/<time>-<rand>-<name>         copies of damaged objects a recovery replaced (never read)
 *
 * Sequence numbers are zero-padded so keys list in seq order; the random suffix made every
 * writer's attempt unique.
 */
export const HEAD_KEY = "graph/head.json";
export const SNAPSHOTS_PREFIX = "graph/snapshots/";
export const JOURNAL_PREFIX = "graph/journal/";

const SNAPSHOT_KEY = /^graph\/snapshots\/(\d{16})-[0-9a-f]{8,32}\.json$/;
const JOURNAL_KEY = /^graph\/journal\/(\d{16})-[0-9a-f]{8,32}\.jsonl$/;

/** The `seq` a snapshot key names, or `null` for a key of another shape. */
export function snapshotSeqOf(key: string): number | null {
  const m = SNAPSHOT_KEY.exec(key);
  return m ? Number(m[1]) : null;
}

/** The base `seq` a journal key names, or `null` for a key of another shape. */
export function journalBaseOf(key: string): number | null {
  const m = JOURNAL_KEY.exec(key);
  return m ? Number(m[1]) : null;
}
