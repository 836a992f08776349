/**
 * The hooks of the test files that run the built Node server and CLI as child processes: build
 * them once before the file's tests (a no-op when the e2e globalSetup already did), kill whatever
 * is still running at the end (and, unless told otherwise, after each test) and remove the
 * temporary directories. Call at the top level of a test file.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { buildNodeServer, killAll, removeTempDirs } from "./processes.ts";

export function useServerProcesses(options: { killAfterEach?: boolean } = {}): void {
  beforeAll(async () => {
    await buildNodeServer();
  });
  if (options.killAfterEach ?? true) {
    afterEach(async () => {
      await killAll();
    });
  }
  afterAll(async () => {
    await killAll();
    await removeTempDirs();
  });
}
