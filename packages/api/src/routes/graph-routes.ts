import type { DocumentInfo } from "@dawsos/core/store";
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
  const { store, reader } = deps;
  const stats = () => graphStats(reader);

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/graph",
      summary: "The whole graph document (SPEC section 4), streamed",
      responses: { 200: json(AnyJson, "graph document with ETag"), ...errorResponses },
    }),
    async () => {
      // Streamed as the client reads, from one snapshot (an immutable view in memory, or the
      // tables with writers held): no whole-document string is built. The first chunk is
      // pulled before answering: it fixes the snapshot, whose `seq` is the ETag.
      const info: DocumentInfo = {};
      const chunks = reader.document(info)[Symbol.asyncIterator]();
      const first = await chunks.next();
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (first.done) controller.close();
          else controller.enqueue(encoder.encode(first.value));
        },
        async pull(controller) {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        async cancel() {
          await chunks.return?.();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { "content-type": "application/json; charset=utf-8", etag: graphEtag(info.seq ?? 0) },
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
        // An import, whoever sends it: the feed tells clients to reload the graph.
        source: "import",
        actor: deps.audit.actor,
        precondition: (graph) => checkIfMatch(ifMatch, graphEtag(graph.seq)),
      });
      return c.json(await stats(), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/graph/stats",
      responses: { 200: json(StatsSchema, "graph statistics"), ...errorResponses },
    }),
    async (c) => c.json(await stats(), 200),
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

  restoreRoute(app, deps, {
    path: "/api/graph/versions/{id}/restore",
    description: "stats of the restored graph",
    restore: (id) => store.restoreVersion(id, { actor: deps.audit.actor }),
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
