export { type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";
export type { BucketEvent } from "./bucket-events.ts";
export { BucketGraphStore } from "./bucket-graph-store.ts";
export type { BucketHead, HeadJournalEntry } from "./bucket-head.ts";
export { HEAD_KEY, JOURNAL_PREFIX, SNAPSHOTS_PREFIX } from "./bucket-keys.ts";
export type { BucketGraphStoreOptions, BucketLoadCounters } from "./bucket-options.ts";
export { verifyBucketStorage } from "./bucket-verify.ts";
export {
  type BucketGraph,
  type ReadBucketGraphOptions,
  readBucketGraph,
} from "./read-bucket-graph.ts";
