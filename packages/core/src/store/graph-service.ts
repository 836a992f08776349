import type { ChangeSource } from "../changes/change-source.ts";
import type { BatchOp, EdgeInput } from "../format/schemas.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphEdge, GraphNode, GraphStats, JsonObject, Pattern } from "../graph/types.ts";
import type { BackupFile } from "./backup-files.ts";
import type { RecoveryReport } from "./recovery-report.ts";
import type { IntegrityReport } from "./verify-storage.ts";

export type { RecoveryReport } from "./recovery-report.ts";

/** Options of every mutation (SPEC `If-Match`). */
export interface CommitOptions {
  /**
   * Runs synchronously immediately before the changes are applied (after any wait), so a
   * compare-and-set such as HTTP `If-Match` cannot race another writer. Throw to refuse.
   */
  precondition?: (graph: KnowledgeGraph) => void;
  /** Builds the changes at that same instant (instead of the `changes` argument). */
  changes?: () => readonly Change[];
  /**
   * Where the commit comes from, recorded with it (audit trail, change feed). Default: the
   * store's own default (`"api"` unless it was opened with another).
   */
  source?: ChangeSource;
  /** The configured label of the credential behind the commit (never the credential). */
  actor?: string;
}

/** What a whole-graph replacement records: `import` (default) or `restore`, and who. */
export type ReplaceOptions = Pick<CommitOptions, "precondition" | "source" | "actor">;

/** The audit part of the options of a restore or other admin write. */
export type AuditOptions = Pick<CommitOptions, "source" | "actor">;

/** A saved version (`graph_<id>.json`), as listed. */
export interface VersionInfo {
  id: string;
  created: string;
  size: number;
  checksum: string | null;
}

/** A complete backup (`backups/<id>/` with its manifest). */
export interface BackupInfo {
  id: string;
  created: string;
  seq: number;
  files: BackupFile[];
}

/** What `saveVersion` made. */
export interface SavedVersion {
  id: string;
  checksum: string;
  created: string;
  size: number;
}

/**
 * What the HTTP API and the workflows need from a graph store holding the graph in memory:
 * `GraphStore`, the single writer of a storage directory (journal + snapshot; Node). The Durable
 * Object's `SqliteGraphStore` serves the same API without holding the graph (`LazyGraphService`).
 *
 * `graph` is read synchronously after `refresh()` (the API calls it once per request: it waits
 * for a group commit in flight, so a reader sees acknowledged changes only).
 */
export interface GraphService {
  /** The graph as this instance last saw it. Read freely; change it only through the service. */
  readonly graph: KnowledgeGraph;
  /** Set when loading had to recover from damage. */
  readonly recovery: RecoveryReport | null;
  /**
   * Brings `graph` up to date with storage — cheaply when nothing changed. A no-op for a
   * single writer, which is always up to date.
   */
  refresh(): Promise<void>;
  /** Applies change records all-or-nothing; resolves to the graph's `seq` once durable. */
  commit(changes: readonly Change[], options?: CommitOptions): Promise<number>;
  putNode(
    id: string,
    input: { type: string; data?: JsonObject },
    options?: CommitOptions,
  ): Promise<{ node: GraphNode; created: boolean }>;
  patchNode(id: string, data: JsonObject, options?: CommitOptions): Promise<GraphNode>;
  deleteNode(id: string, options?: CommitOptions): Promise<void>;
  addEdge(input: EdgeInput, options?: CommitOptions): Promise<GraphEdge>;
  deleteEdge(id: string, options?: CommitOptions): Promise<void>;
  putPattern(id: string, pattern: Pattern, options?: CommitOptions): Promise<{ created: boolean }>;
  deletePattern(id: string, options?: CommitOptions): Promise<void>;
  applyBatch(ops: readonly BatchOp[], options?: CommitOptions): Promise<{ applied: number; seq: number }>;
  /** Writes a full snapshot of the current graph. */
  compact(): Promise<{ checksum: string; seq: number }>;
  save(): Promise<{ checksum: string; seq: number }>;
  saveVersion(): Promise<SavedVersion>;
  listVersions(): Promise<VersionInfo[]>;
  restoreVersion(id: string, options?: AuditOptions): Promise<GraphStats>;
  replaceGraph(document: unknown, options?: ReplaceOptions): Promise<GraphStats>;
  backup(): Promise<BackupInfo>;
  listBackups(): Promise<BackupInfo[]>;
  restoreBackup(id: string, options?: AuditOptions): Promise<GraphStats>;
  deleteBackup(id: string): Promise<void>;
  verify(): Promise<IntegrityReport>;
  close(): Promise<void>;
}
