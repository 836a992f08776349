/**
 * The part of `cloudflare:test` (@cloudflare/vitest-pool-workers 0.14) these tests use, typed
 * with our structural binding types (see cloudflare-workers.d.ts for why not the globals).
 */
declare module "cloudflare:test" {
  import type { DurableObjectStateLike, DurableObjectStubLike } from "../src/env.ts";

  /** Runs `callback` inside the object `stub` points to (its own request context). */
  export function runInDurableObject<O, R>(
    stub: DurableObjectStubLike,
    callback: (instance: O, state: DurableObjectStateLike) => R | Promise<R>,
  ): Promise<R>;
}
