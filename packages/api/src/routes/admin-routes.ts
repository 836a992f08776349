import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { jsonBody } from "../middleware/json-body.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { BackupSchema, BatchBody, TimestampIdParam } from "../schemas.ts";
import { restoreRoute } from "./restore-route.ts";

/** Batch writes and backups. */
export function adminRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { store } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/batch",
      summary: "All-or-nothing batch of graph operations (one journal record)",
      request: { body: body(BatchBody) },
      responses: {
        200: json(z.object({ applied: z.number(), seq: z.number() }), "applied"),
        ...writeErrorResponses,
      },
    }),
    async (c) => {
      const { ops } = jsonBody<{ ops: Parameters<typeof store.applyBatch>[0] }>(c);
      return c.json(await store.applyBatch(ops, deps.audit), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/backups",
      responses: { 201: json(BackupSchema, "backup made"), ...errorResponses },
    }),
    async (c) => {
      const { id, created, files } = await store.backup();
      return c.json({ id, created, files }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/backups",
      responses: { 200: json(z.array(BackupSchema), "backups, newest first"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        (await store.listBackups()).map(({ id, created, files }) => ({ id, created, files })),
        200,
      ),
  );

  restoreRoute(app, deps, {
    path: "/api/backups/{id}/restore",
    description: "restored (the previous state was backed up first)",
    restore: (id) => store.restoreBackup(id, { actor: deps.audit.actor }),
  });

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/backups/{id}",
      request: { params: TimestampIdParam },
      responses: { 204: { description: "deleted" }, ...writeErrorResponses },
    }),
    async (c) => {
      await store.deleteBackup(c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
