import type { AnyGraphService } from "@dawsos/core/store";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";

/**
 * Brings the graph up to date before a handler reads it: on the Node server, waits for a group
 * commit in flight (a reader sees acknowledged changes only). The Durable Object's store is
 * always current (its writes are synchronous transactions): a no-op there.
 */
export function refresh(store: AnyGraphService): MiddlewareHandler<ApiEnv> {
  return async (_c, next) => {
    await store.refresh();
    await next();
  };
}
