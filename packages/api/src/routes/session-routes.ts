import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv, AppDeps } from "../deps.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { MessageBody, SessionIdParam, SessionSchema } from "../schemas.ts";

/** Sessions with persisted chat history. */
export function sessionRoutes(app: OpenAPIHono<ApiEnv>, deps: AppDeps): void {
  const { sessions } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/sessions",
      responses: { 201: json(SessionSchema, "new session"), ...errorResponses },
    }),
    async (c) => c.json(await sessions.create(), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/sessions/{id}",
      request: { params: SessionIdParam },
      responses: { 200: json(SessionSchema, "the session"), ...errorResponses },
    }),
    async (c) => c.json(await sessions.get(c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/sessions/{id}/messages",
      request: { params: SessionIdParam, body: body(MessageBody) },
      responses: {
        201: json(SessionSchema, "the session with the message appended"),
        ...writeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await sessions.addMessage(id, c.req.valid("json"));
      return c.json(await sessions.get(id), 201);
    },
  );
}
