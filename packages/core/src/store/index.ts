export type { BackupFile, BackupManifest } from "./backup-files.ts";
export * from "./backup-inventory.ts";
export * from "./clock.ts";
export type { GraphService } from "./graph-service.ts";
export * from "./graph-store.ts";
export { type LoadedGraph, loadGraphBytes } from "./load-graph.ts";
export * from "./storage-keys.ts";
export * from "./timestamp-ids.ts";
export * from "./verify-storage.ts";
