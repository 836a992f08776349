import type { WorkflowEngine, WorkflowRunLog } from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv } from "../deps.ts";
import { errorResponses, json } from "../openapi-helpers.ts";
import { HistoryQuery, WorkflowNameParam, WorkflowRunSchema, WorkflowSummarySchema } from "../schemas.ts";

/** `GET /api/workflows` and `POST /api/workflows/:name/run` (SPEC section 5). */
export function workflowRoutes(app: OpenAPIHono<ApiEnv>, workflows: WorkflowEngine): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/workflows",
      responses: { 200: json(z.array(WorkflowSummarySchema), "registered workflows"), ...errorResponses },
    }),
    (c) => c.json(workflows.list(), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/workflows/{name}/run",
      summary: "Runs a workflow; the record (also appended to the history) says how each step went",
      request: { params: WorkflowNameParam },
      responses: { 200: json(WorkflowRunSchema, "run record, whatever its status"), ...errorResponses },
    }),
    async (c) => c.json(await workflows.run(c.req.valid("param").name), 200),
  );
}

/** `GET /api/workflows/history?workflow=&limit=` (newest first; the last 100 runs are kept). */
export function workflowHistoryRoutes(app: OpenAPIHono<ApiEnv>, history: WorkflowRunLog): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/workflows/history",
      request: { query: HistoryQuery },
      responses: { 200: json(z.array(WorkflowRunSchema), "run records, newest first"), ...errorResponses },
    }),
    async (c) => {
      const { workflow, limit } = c.req.valid("query");
      return c.json(await history.list(workflow === undefined ? { limit } : { workflow, limit }), 200);
    },
  );
}
