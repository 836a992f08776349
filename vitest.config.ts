import { defineConfig } from "vitest/config";

// One vitest run over every package. Packages resolve each other's TypeScript sources through
// the "@dawsos/source" export condition, so tests never need a prior build.
export default defineConfig({
  resolve: { conditions: ["@dawsos/source"] },
  ssr: { resolve: { conditions: ["@dawsos/source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "core", include: ["packages/core/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "storage-fs", include: ["packages/storage-fs/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "api", include: ["packages/api/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "node-server", include: ["apps/node-server/src/**/*.test.ts"] },
      },
      {
        extends: true,
        // The dashboard's pure logic (SSE parsing, the live connection, applying changes): no
        // browser needed; the browser tests are in tests/browser.
        test: { name: "dashboard", include: ["apps/dashboard/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["tests/**/*.test.ts"],
          // Builds the Node server (and what it depends on) once, before any e2e file starts.
          globalSetup: ["tests/support/build-once.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
