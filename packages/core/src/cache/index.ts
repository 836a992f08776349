export * from "./read-through-cache.ts";
export * from "./ttl-cache.ts";
