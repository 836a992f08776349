export { ExportGate } from "./export-gate.ts";
export { GraphImport, type ImportChunk, type ImportDocument } from "./graph-import.ts";
export { SqlChangeFeed } from "./sql-change-feed.ts";
export type { SqlCursor, SqlDatabase, SqlExec, SqlRow, SqlValue } from "./sql-database.ts";
export { TABLES_CHECK_KEY } from "./sql-integrity.ts";
export { fromKey, toKey } from "./sql-keys.ts";
export {
  MAX_BOUND_PARAMETERS,
  MAX_RECORD_BYTES,
  MAX_ROW_BYTES,
  MAX_STATEMENT_BYTES,
} from "./sql-limits.ts";
export {
  CHANGE_NODES_TABLE,
  CHANGES_TABLE,
  type GraphTables,
  SCHEMA_VERSION,
  STATE_TABLE,
  tablesOf,
} from "./sql-schema.ts";
export { SqlSessionStore } from "./sql-session-store.ts";
export { SqlWorkflowHistory } from "./sql-workflow-history.ts";
export {
  SqliteGraphStore,
  type SqliteGraphStoreOptions,
  type SqliteStoreEvent,
} from "./sqlite-graph-store.ts";
