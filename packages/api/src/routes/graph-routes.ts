import { captureSnapshot, documentText } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { checkIfMatch, graphEtag } from "../etag.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { AnyJson, GraphBody, StatsSchema } from "../schemas.ts";
import { graphStats, restoreRoute } from "./restore-route.ts";

const encoder = new TextEncoder();

/** Whole-graph routes: document, stats, save/versions, integrity. */
export function graphRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { store } = deps;
  const stats = () => graphStats(store);

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/graph",
      summary: "The whole graph document (SPEC section 4), streamed",
      responses: { 200: json(AnyJson, "graph document with ETag"), ...errorResponses },
    }),
    () => {
      // Streamed from an immutable snapshot view: no whole-document string is built.
      const snapshot = captureSnapshot(store.graph);
      const chunks = documentText(snapshot);
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { "content-type": "application/json; charset=utf-8", etag: graphEtag(snapshot.seq) },
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/graph",
      summary: "Replace the graph (any accepted format); a backup is made first",
      request: { body: body(GraphBody) },
      responses: { 200: json(StatsSchema, "stats of the new graph"), ...writeErrorResponses },
    }),
    async (c) => {
      const ifMatch = c.req.header("if-match");
      await store.replaceGraph(jsonBody<unknown>(c), {
        precondition: (graph) => checkIfMatch(ifMatch, graphEtag(graph.seq)),
      });
      return c.json(stats(), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/graph/stats",
      responses: { 200: json(StatsSchema, "graph statistics"), ...errorResponses },
    }),
    (c) => c.json(stats(), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/graph/save",
      summary: "Full snapshot plus a versioned copy",
      responses: {
        201: json(z.object({ id: z.string(), checksum: z.string() }), "saved version"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const version = await store.saveVersion();
      return c.json(
        { id: version.id, checksum: version.checksum, created: version.created, size: version.size },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/graph/versions",
      responses: { 200: json(AnyJson, "versions, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await store.listVersions(), 200),
  );

  restoreRoute(app, store, {
    path: "/api/graph/versions/{id}/restore",
    description: "stats of the restored graph",
    restore: (id) => store.restoreVersion(id),
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/integrity",
      summary: "Verify graph, journal, versions, backups",
      responses: { 200: json(AnyJson, "per-file report"), ...errorResponses },
    }),
    async (c) => c.json(await store.verify(), 200),
  );
}
