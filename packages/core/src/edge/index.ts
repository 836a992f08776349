export { type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";
export type { EdgeEvent } from "./edge-events.ts";
export { EdgeGraphStore, type EdgeGraphStoreOptions, type EdgeLoadCounters } from "./edge-graph-store.ts";
export type { EdgeHead, HeadJournalEntry } from "./edge-head.ts";
export { HEAD_KEY, JOURNAL_PREFIX, SNAPSHOTS_PREFIX } from "./edge-keys.ts";
export { verifyEdgeStorage } from "./edge-verify.ts";
