/**
 * The part of `cloudflare:test` (@cloudflare/vitest-pool-workers 0.14) these tests use, typed
 * with our structural binding types (see cloudflare-workers.d.ts for why not the globals).
 */
declare module "cloudflare:test" {
  import type {
    DurableObjectNamespaceLike,
    DurableObjectStateLike,
    DurableObjectStubLike,
  } from "../src/env.ts";

  /** Runs `callback` inside the object `stub` points to (its own request context). */
  export function runInDurableObject<O, R>(
    stub: DurableObjectStubLike,
    callback: (instance: O, state: DurableObjectStateLike) => R | Promise<R>,
  ): Promise<R>;

  /** Runs the object's scheduled alarm now, if it has one; `false` when none was scheduled. */
  export function runDurableObjectAlarm(stub: DurableObjectStubLike): Promise<boolean>;

  /** The ids of every object of `namespace` made in this test's storage. */
  export function listDurableObjectIds(namespace: DurableObjectNamespaceLike): Promise<unknown[]>;
}
