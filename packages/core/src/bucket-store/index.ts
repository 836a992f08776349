/**
 * The graph layout the Worker kept in R2 before issue 12, read-only: what the one-time
 * migration into the `GraphObject` Durable Object reads (`apps/worker/src/bucket-migration.ts`).
 * The store that wrote it (`BucketGraphStore`) is retired; `@dawsos/core/testing` keeps a
 * test-only writer of the layout (`BucketLayoutWriter`).
 */
export type { BucketHead, HeadJournalEntry } from "./bucket-head.ts";
export { HEAD_KEY, JOURNAL_PREFIX, SNAPSHOTS_PREFIX } from "./bucket-keys.ts";
export {
  type BucketGraph,
  type ReadBucketGraphOptions,
  readBucketGraph,
} from "./read-bucket-graph.ts";
