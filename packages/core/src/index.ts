/**
 * @dawsos/core — the runtime-agnostic heart of DawsOS persistence: the knowledge graph, its
 * file format and checksums, the storage contract, GraphStore (snapshots, versions, backups,
 * recovery), caches, the FRED and market-quote clients, workflows and their history. No `node:`
 * imports: runs on Node, Deno, Workers, browsers.
 *
 * The root exports the stable names a library user needs (SPEC section 8). Everything else of
 * each area is under a subpath, in the style of hono and lowdb: `@dawsos/core/graph`, `/store`,
 * `/format`, `/cache`, `/workflows`, `/journal`, `/sqlite-store`, `/bucket-store` (the read-only
 * loader of the Worker's old R2 layout, for its migration), `/util` and `/testing`.
 */

export * from "./cache/index.ts";
export * from "./changes/index.ts";
export * from "./data/index.ts";
export * from "./errors/index.ts";
export {
  captureSnapshot,
  type DocumentFormat,
  documentText,
  encodeDocument,
  parseJsonDocument,
  readDocument,
} from "./format/index.ts";
export * from "./format/schemas.ts";
export type { Change, ChangeOp } from "./graph/changes.ts";
export { MAX_NESTING_DEPTH } from "./graph/json-value.ts";
export { type Influence, KnowledgeGraph } from "./graph/knowledge-graph.ts";
export * from "./graph/types.ts";
export * from "./history/index.ts";
export * from "./integrity/index.ts";
export type { Durability } from "./journal/journal-writer.ts";
export { investmentFrameworkSeed, type SeedDocument } from "./seed/investment-framework.ts";
export * from "./sessions/index.ts";
export {
  SqlChangeFeed,
  type SqlDatabase,
  SqliteGraphStore,
  type SqliteGraphStoreOptions,
  type SqliteStoreEvent,
} from "./sqlite-store/index.ts";
export * from "./storage/index.ts";
export {
  type EdgeListQuery,
  type GraphCounts,
  type GraphReader,
  type LazyGraphService,
  type NodeListQuery,
  nodeMatchesQuery,
  type Page,
} from "./store/graph-reader.ts";
export type * from "./store/graph-service.ts";
export { GraphStore, type GraphStoreOptions, type StoreEvent } from "./store/graph-store.ts";
export { KnowledgeGraphReader } from "./store/knowledge-graph-reader.ts";
export { assertTimestampId, TIMESTAMP_ID } from "./store/timestamp-ids.ts";
export type { FileCheck, IntegrityReport } from "./store/verify-storage.ts";
export { type Clock, ManualClock, systemClock } from "./util/clock.ts";
export type { OnProgress, Progress } from "./util/progress.ts";
export * from "./workflows/index.ts";
