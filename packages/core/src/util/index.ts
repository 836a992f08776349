export * from "./clock.ts";
export * from "./mutex.ts";
export * from "./progress.ts";
export * from "./sleep.ts";
