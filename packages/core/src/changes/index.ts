export * from "./change-feed.ts";
export * from "./change-log.ts";
export * from "./change-record.ts";
export * from "./change-retention.ts";
export * from "./change-segments.ts";
export * from "./change-source.ts";
export * from "./change-subscribers.ts";
