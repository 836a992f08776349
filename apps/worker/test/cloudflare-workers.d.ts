/**
 * The `cloudflare:workers` module as these tests use it inside workerd (provided by
 * @cloudflare/vitest-pool-workers). Declared here with our structural binding types rather than
 * through @cloudflare/workers-types' globals, which clash with the DOM lib the rest of the
 * repository type-checks against.
 */
declare module "cloudflare:workers" {
  import type { WorkerEnv } from "../src/env.ts";

  /** The bindings of wrangler.jsonc (plus the test-only `API_TOKEN` from vitest.config.ts). */
  export const env: WorkerEnv;
  /** The Worker's own exports, called through the runtime like a real request. */
  export const exports: { default: { fetch(request: Request): Promise<Response> } };
}
