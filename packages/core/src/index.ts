/**
 * @dawsos/core — the runtime-agnostic heart of DawsOS persistence: the knowledge graph, its
 * file format and checksums, the storage contract, GraphStore (snapshots, versions, backups,
 * recovery), caches, the FRED and market-quote clients, workflows and their history. No `node:`
 * imports: runs on Node, Deno, Workers, browsers.
 */

export * from "./bucket-store/index.ts";
export * from "./cache/index.ts";
export * from "./data/index.ts";
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
export * from "./util/index.ts";
export * from "./workflows/index.ts";
