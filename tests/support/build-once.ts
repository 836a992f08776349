import { BUILT_ENV, buildNodeServer } from "./node-server.ts";

/**
 * vitest globalSetup for the e2e project: builds `@dawsos/node-server` once, before any test
 * file starts (so parallel test files never run two builds over the same `dist/`). Test files
 * still call `ensureNodeServerBuilt()`, which then returns at once.
 */
export function setup(): void {
  buildNodeServer();
  process.env[BUILT_ENV] = "1";
}
