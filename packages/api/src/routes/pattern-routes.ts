import { NotFoundError, nullProto, type Pattern } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { NodeIdParam, NodeSchema, PatternBody, PatternTypeParam } from "../schemas.ts";

/** Pattern routes: CRUD, evaluation, nodes by pattern type. */
export function patternRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { store, reader } = deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/patterns",
      responses: { 200: json(z.record(z.string(), PatternBody), "map of patterns"), ...errorResponses },
    }),
    async (c) => {
      const all = nullProto<Pattern>();
      for (const [id, pattern] of await reader.patterns()) all[id] = pattern;
      return c.json(all, 200);
    },
  );

  // Registered before `/api/patterns/{id}` so "evaluate" is not taken for an id.
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/patterns/evaluate",
      responses: { 200: json(z.array(z.unknown()), "evaluation of every pattern"), ...errorResponses },
    }),
    async (c) => c.json(await reader.evaluatePatterns(), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/patterns/types/{type}/nodes",
      request: { params: PatternTypeParam },
      responses: {
        200: json(z.array(NodeSchema), "nodes named by patterns of that type"),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await reader.nodesByPatternType(c.req.valid("param").type), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/patterns/{id}",
      request: { params: NodeIdParam },
      responses: { 200: json(PatternBody, "the pattern"), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const pattern = await reader.getPattern(id);
      if (!pattern) throw new NotFoundError(`pattern ${JSON.stringify(id)} does not exist`);
      return c.json(pattern, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/patterns/{id}",
      request: { params: NodeIdParam, body: body(PatternBody) },
      responses: {
        200: json(PatternBody, "replaced"),
        201: json(PatternBody, "created"),
        ...writeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const pattern = jsonBody<Pattern>(c);
      const { created } = await store.putPattern(id, pattern, deps.audit);
      // The pattern as stored (the record is kept as given), not whatever a later change left.
      return c.json(pattern, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/patterns/{id}",
      request: { params: NodeIdParam },
      responses: { 204: { description: "deleted" }, ...writeErrorResponses },
    }),
    async (c) => {
      await store.deletePattern(c.req.valid("param").id, deps.audit);
      return c.body(null, 204);
    },
  );
}
