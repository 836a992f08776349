import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * The tests that run inside workerd (the Workers runtime, through Miniflare): the R2 and KV
 * adapters (packages/storage-kv/test) and the Worker itself (test/). Run by `pnpm test` after
 * the Node suite: `vitest run --config apps/worker/vitest.config.ts`.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      // The sources, not wrangler's `main` (the bundle its build command writes).
      main: "./src/index.ts",
      miniflare: { bindings: { API_TOKEN: "workerd-test-token-0123456789" } },
    }),
  ],
  resolve: { conditions: ["@dawsos/source"] },
  ssr: { resolve: { conditions: ["@dawsos/source"] } },
  server: { fs: { allow: ["../.."] } },
  test: {
    include: ["test/**/*.test.ts", "../../packages/storage-kv/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
