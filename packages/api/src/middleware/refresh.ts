import type { GraphService } from "@dawsos/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";

/**
 * Brings the graph up to date before a handler reads it: on the Node server, waits for a group
 * commit in flight (a reader sees acknowledged changes only); on a shared bucket, one small
 * head read. Handlers read `store.graph` synchronously after it, with no await in between.
 */
export function refresh(store: GraphService): MiddlewareHandler<ApiEnv> {
  return async (_c, next) => {
    await store.refresh();
    await next();
  };
}
