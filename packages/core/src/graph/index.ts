export * from "./changes.ts";
export * from "./conditions.ts";
export * from "./json-value.ts";
export * from "./knowledge-graph.ts";
export { isPlainObject, mergePatch } from "./merge-patch.ts";
export * from "./traversal.ts";
export * from "./types.ts";
export { assertChange, assertId } from "./validate.ts";
