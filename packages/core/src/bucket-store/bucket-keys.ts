/**
 * Storage keys of the shared (edge) graph layout. The graph lives under `graph/`; versions,
 * backups, the seed, workflow history and sessions use the same keys as the filesystem layout
 * (SPEC section 3), so tools that read those work on both.
 *
 *   graph/head.json                            the one mutable object: names the snapshot and journal
 *   graph/snapshots/<seq:16>-<rand>.json       immutable, checksummed documents (SPEC section 4)
 *   graph/journal/<base seq:16>-<rand>.jsonl   immutable, one commit each (a `graph.journal` line)
 *   graph/damaged/<time>-<rand>-<name>         copies of damaged objects a recovery replaced
 *
 * Sequence numbers are zero-padded so keys list in seq order; the random suffix makes every
 * attempt's key unique, so an object is written once (create-only) and never replaced.
 */
export const HEAD_KEY = "graph/head.json";
export const SNAPSHOTS_PREFIX = "graph/snapshots/";
export const JOURNAL_PREFIX = "graph/journal/";
/** Copies of damaged objects, kept for operators (never read, never cleaned up). */
export const DAMAGED_PREFIX = "graph/damaged/";

const SEQ_WIDTH = 16;
const SNAPSHOT_KEY = /^graph\/snapshots\/(\d{16})-[0-9a-f]{8,32}\.json$/;
const JOURNAL_KEY = /^graph\/journal\/(\d{16})-[0-9a-f]{8,32}\.jsonl$/;

const padSeq = (seq: number) => String(seq).padStart(SEQ_WIDTH, "0");

/** Key of a snapshot of the graph at `seq`. */
export const snapshotKey = (seq: number, rand: string) => `${SNAPSHOTS_PREFIX}${padSeq(seq)}-${rand}.json`;

/** Key of a journal object whose record applies to the graph at `base` (its `seq - count`). */
export const journalKey = (base: number, rand: string) => `${JOURNAL_PREFIX}${padSeq(base)}-${rand}.jsonl`;

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

/** 64 random bits as 16 hex characters (the platform CSPRNG). */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
