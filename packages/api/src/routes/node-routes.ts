import { NotFoundError } from "@dawsos/core";
import { KnowledgeGraphReader } from "@dawsos/core/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, AppDeps } from "../deps.ts";
import { checkIfMatch, recordEtag } from "../etag.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { decodeCursor, encodeCursor } from "../pagination.ts";
import { NeighborsQuery, NodeBody, NodeIdParam, NodePatchBody, NodeSchema, NodesQuery } from "../schemas.ts";

/** Node routes: list/search, CRUD with ETags, influences, neighbours. */
export function nodeRoutes(app: OpenAPIHono<ApiEnv>, deps: AppDeps): void {
  const { store } = deps;
  const reader = new KnowledgeGraphReader(() => store.graph);
  const requireNode = (id: string) => {
    const node = store.graph.getNode(id);
    if (!node) throw new NotFoundError(`node ${JSON.stringify(id)} does not exist`);
    return node;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/nodes",
      request: { query: NodesQuery },
      responses: {
        200: json(z.object({ items: z.array(NodeSchema), next_cursor: z.string().nullable() }), "a page"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { type, q, limit, cursor } = c.req.valid("query");
      // The reader reads synchronously when called (right after the refresh middleware).
      const page = await reader.listNodes({ type, q, limit, cursor: cursor && decodeCursor(cursor) });
      return c.json(
        { items: page.items, next_cursor: page.nextCursor && encodeCursor(page.nextCursor) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/nodes/{id}",
      request: { params: NodeIdParam },
      responses: { 200: json(NodeSchema, "the node, with ETag"), ...errorResponses },
    }),
    (c) => {
      const node = requireNode(c.req.valid("param").id);
      return c.json(node, 200, { ETag: recordEtag(node) });
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/nodes/{id}",
      request: { params: NodeIdParam, body: body(NodeBody) },
      responses: {
        200: json(NodeSchema, "replaced"),
        201: json(NodeSchema, "created"),
        ...writeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = jsonBody<{ type: string; data?: Record<string, unknown> }>(c);
      const ifMatch = c.req.header("if-match");
      const { node, created } = await store.putNode(
        id,
        { type: input.type, data: input.data ?? {} },
        {
          precondition: (graph) => {
            const current = graph.getNode(id);
            checkIfMatch(ifMatch, () => (current ? recordEtag(current) : null));
          },
        },
      );
      return c.json(node, created ? 201 : 200, { ETag: recordEtag(node) });
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/api/nodes/{id}",
      request: { params: NodeIdParam, body: body(NodePatchBody) },
      responses: { 200: json(NodeSchema, "patched"), ...writeErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const ifMatch = c.req.header("if-match");
      const { data } = jsonBody<{ data: Record<string, unknown> }>(c);
      const node = await store.patchNode(id, data, {
        precondition: (graph) => {
          const current = graph.getNode(id);
          if (current) checkIfMatch(ifMatch, () => recordEtag(current));
        },
      });
      return c.json(node, 200, { ETag: recordEtag(node) });
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/nodes/{id}",
      request: { params: NodeIdParam },
      responses: { 204: { description: "deleted, with its edges" }, ...writeErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const ifMatch = c.req.header("if-match");
      await store.deleteNode(id, {
        precondition: (graph) => {
          const current = graph.getNode(id);
          if (current) checkIfMatch(ifMatch, () => recordEtag(current));
        },
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/nodes/{id}/influences",
      request: { params: NodeIdParam },
      responses: {
        200: json(
          z.array(z.object({ from: z.string(), type: z.string(), strength: z.number() })),
          "edges into the node",
        ),
        ...errorResponses,
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      requireNode(id);
      return c.json(store.graph.influences(id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/nodes/{id}/neighbors",
      request: { params: NodeIdParam, query: NeighborsQuery },
      responses: {
        200: json(z.object({ nodes: z.array(NodeSchema), edges: z.array(z.unknown()) }), "neighbourhood"),
        ...errorResponses,
      },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const { direction, depth, edge_type } = c.req.valid("query");
      requireNode(id);
      return c.json(store.graph.neighbors(id, { direction, depth, edgeType: edge_type }), 200);
    },
  );
}
