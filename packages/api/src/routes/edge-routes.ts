import { NotFoundError } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { decodeCursor, encodeCursor } from "../pagination.ts";
import { EdgeBody, EdgeSchema, EdgesQuery, NodeIdParam, PathsQuery } from "../schemas.ts";

/** Edge routes and path search. */
export function edgeRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { store, reader } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/edges",
      request: { query: EdgesQuery },
      responses: {
        200: json(z.object({ items: z.array(EdgeSchema), next_cursor: z.string().nullable() }), "a page"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { from, to, type, limit, cursor } = c.req.valid("query");
      // With an endpoint given, the reader pages over that node's adjacency, not every edge.
      const page = await reader.listEdges({ from, to, type, limit, cursor: cursor && decodeCursor(cursor) });
      return c.json(
        { items: page.items, next_cursor: page.nextCursor && encodeCursor(page.nextCursor) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/edges",
      request: { body: body(EdgeBody) },
      responses: { 201: json(EdgeSchema, "created edge"), ...writeErrorResponses },
    }),
    async (c) => {
      const input = jsonBody<z.input<typeof EdgeBody>>(c);
      return c.json(await store.addEdge(input, deps.audit), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/edges/{id}",
      request: { params: NodeIdParam },
      responses: { 200: json(EdgeSchema, "the edge"), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const edge = await reader.getEdge(id);
      if (!edge) throw new NotFoundError(`edge ${JSON.stringify(id)} does not exist`);
      return c.json(edge, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/edges/{id}",
      request: { params: NodeIdParam },
      responses: { 204: { description: "deleted" }, ...writeErrorResponses },
    }),
    async (c) => {
      await store.deleteEdge(c.req.valid("param").id, deps.audit);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/paths",
      request: { query: PathsQuery },
      responses: {
        200: json(
          z.array(z.object({ nodes: z.array(z.string()), edges: z.array(z.string()), strength: z.number() })),
          "paths, strongest first",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { from, to, max_depth } = c.req.valid("query");
      // Both lookups start before any await, so they read one state.
      const [a, b] = await Promise.all([reader.getNode(from), reader.getNode(to)]);
      if (!a) throw new NotFoundError(`node ${JSON.stringify(from)} does not exist`);
      if (!b) throw new NotFoundError(`node ${JSON.stringify(to)} does not exist`);
      return c.json(await reader.paths(from, to, { maxDepth: max_depth, limit: 20 }), 200);
    },
  );
}
