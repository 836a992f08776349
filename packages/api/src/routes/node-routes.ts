import { NotFoundError } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { checkIfMatch, recordEtag, recordResponse } from "../etag.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { decodeCursor, encodeCursor } from "../pagination.ts";
import { NeighborsQuery, NodeBody, NodeIdParam, NodePatchBody, NodeSchema, NodesQuery } from "../schemas.ts";

/** Node routes: list/search, CRUD with ETags, influences, neighbours. */
export function nodeRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { store, reader, audit } = deps;
  const requireNode = async (id: string) => {
    const node = await reader.getNode(id);
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
    async (c) => {
      const node = await requireNode(c.req.valid("param").id);
      return recordResponse(c, node, 200);
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
          ...audit,
          precondition: (graph) => {
            const current = graph.getNode(id);
            checkIfMatch(ifMatch, () => (current ? recordEtag(current) : null));
          },
        },
      );
      return recordResponse(c, node, created ? 201 : 200);
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
        ...audit,
        precondition: (graph) => {
          const current = graph.getNode(id);
          if (current) checkIfMatch(ifMatch, () => recordEtag(current));
        },
      });
      return recordResponse(c, node, 200);
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
        ...audit,
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
    async (c) => {
      const { id } = c.req.valid("param");
      await requireNode(id);
      return c.json(await reader.influences(id), 200);
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
    async (c) => {
      const { id } = c.req.valid("param");
      const { direction, depth, edge_type } = c.req.valid("query");
      await requireNode(id);
      return c.json(await reader.neighbors(id, { direction, depth, edgeType: edge_type }), 200);
    },
  );
}
