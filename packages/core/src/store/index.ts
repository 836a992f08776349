export { type ArchiveEvent, type ArchiveOptions, type DocumentSource, GraphArchive } from "./archive.ts";
export type { ArchivedDocument } from "./archived-document.ts";
export type { BackupFile, BackupManifest } from "./backup-files.ts";
export * from "./backup-inventory.ts";
export * from "./graph-reader.ts";
export type * from "./graph-service.ts";
export * from "./graph-store.ts";
export {
  type AnyGraphService,
  graphReaderOf,
  KnowledgeGraphReader,
  keysetPage,
} from "./knowledge-graph-reader.ts";
export { type LoadedGraph, loadGraphBytes } from "./load-graph.ts";
export * from "./mutations.ts";
export { RECOVERY_REPORTS_KEY, readPendingRecoveries } from "./recovery-report.ts";
export { findRecoverySource, type RecoverySearch, type RecoverySource } from "./recovery-source.ts";
export * from "./storage-keys.ts";
export * from "./timestamp-ids.ts";
export * from "./verify-storage.ts";
