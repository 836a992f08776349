/**
 * @dawsos/core — the runtime-agnostic heart of DawsOS persistence: the knowledge graph, its
 * file format and checksums, the storage contract, GraphStore (snapshots, versions, backups,
 * recovery) and workflow history. No `node:` imports: runs on Node, Deno, Workers, browsers.
 */
export * from "./errors/index.ts";
export * from "./format/index.ts";
export * from "./graph/index.ts";
export * from "./history/index.ts";
export * from "./integrity/index.ts";
export * from "./journal/index.ts";
export { investmentFrameworkSeed } from "./seed/investment-framework.ts";
export * from "./sessions/index.ts";
export * from "./storage/index.ts";
export * from "./store/index.ts";
