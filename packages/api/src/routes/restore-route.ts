import type { GraphStats } from "@dawsos/core";
import type { AnyGraphService, GraphReader } from "@dawsos/core/store";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "../deps.ts";
import { json, writeErrorResponses } from "../openapi-helpers.ts";
import { StatsSchema, TimestampIdParam } from "../schemas.ts";

/** SPEC's stats body: the graph's statistics (without the derived average) and its `seq`. */
export async function graphStats(reader: GraphReader) {
  // Both reads run before the first await inside them completes: one state of the graph.
  const [stats, seq] = await Promise.all([reader.stats(), reader.seq()]);
  const { avg_connections: _derived, ...rest } = stats;
  return { ...rest, seq };
}

/**
 * `POST …/{id}/restore` for versions and backups: restores (the store backs up the current
 * state first), then answers the stats of the graph as it now is.
 */
export function restoreRoute(
  app: OpenAPIHono<ApiEnv>,
  { store, reader }: { store: AnyGraphService; reader: GraphReader },
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
      return c.json(await graphStats(reader), 200);
    },
  );
}
