import type { GraphService, GraphStats } from "@dawsos/core";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "../deps.ts";
import { json, writeErrorResponses } from "../openapi-helpers.ts";
import { StatsSchema, TimestampIdParam } from "../schemas.ts";

/** SPEC's stats body: the graph's statistics (without the derived average) and its `seq`. */
export function graphStats(store: GraphService) {
  const { avg_connections: _derived, ...rest } = store.graph.stats();
  return { ...rest, seq: store.graph.seq };
}

/**
 * `POST …/{id}/restore` for versions and backups: restores (the store backs up the current
 * state first), then answers the stats of the graph as it now is.
 */
export function restoreRoute(
  app: OpenAPIHono<ApiEnv>,
  store: GraphService,
  route: { path: string; description: string; restore: (id: string) => Promise<GraphStats> },
): void {
  app.openapi(
    createRoute({
      method: "post",
      path: route.path,
      request: { params: TimestampIdParam },
      responses: { 200: json(StatsSchema, route.description), ...writeErrorResponses },
    }),
    async (c) => {
      await route.restore(c.req.valid("param").id);
      // Read after any group in flight settles: acknowledged state only.
      await store.refresh();
      return c.json(graphStats(store), 200);
    },
  );
}
