import { type GraphEdge, NotFoundError } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, AppDeps } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { paginate } from "../pagination.ts";
import { EdgeBody, EdgeSchema, EdgesQuery, NodeIdParam, PathsQuery } from "../schemas.ts";

/** Edge routes and path search. */
export function edgeRoutes(app: OpenAPIHono<ApiEnv>, deps: AppDeps): void {
  const { store } = deps;

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
    (c) => {
      const { from, to, type, limit, cursor } = c.req.valid("query");
      const graph = store.graph;
      const keep = (edge: GraphEdge | undefined) =>
        edge &&
        (from === undefined || edge.from === from) &&
        (to === undefined || edge.to === to) &&
        (type === undefined || edge.type === type)
          ? edge
          : undefined;
      // With an endpoint given, page over that node's adjacency instead of every edge.
      const ids =
        from !== undefined
          ? graph
              .outEdges(from)
              .map((e) => e.id)
              .sort()
          : to !== undefined
            ? graph
                .inEdges(to)
                .map((e) => e.id)
                .sort()
            : graph.sortedEdgeIds();
      return c.json(
        paginate(ids, cursor, limit, (id) => keep(graph.getEdge(id))),
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
      return c.json(await store.addEdge(input), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/edges/{id}",
      request: { params: NodeIdParam },
      responses: { 200: json(EdgeSchema, "the edge"), ...errorResponses },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const edge = store.graph.getEdge(id);
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
      await store.deleteEdge(c.req.valid("param").id);
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
    (c) => {
      const { from, to, max_depth } = c.req.valid("query");
      for (const id of [from, to]) {
        if (!store.graph.hasNode(id)) throw new NotFoundError(`node ${JSON.stringify(id)} does not exist`);
      }
      return c.json(store.graph.paths(from, to, { maxDepth: max_depth, limit: 20 }), 200);
    },
  );
}
