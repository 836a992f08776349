export * from "./adapter.ts";
export * from "./graph-capabilities.ts";
export * from "./keys.ts";
export * from "./memory-storage.ts";
