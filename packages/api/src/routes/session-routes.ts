import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv, RouteDeps } from "../deps.ts";
import { body, errorResponses, json, writeErrorResponses } from "../openapi-helpers.ts";
import { ChatMessageSchema, MessageBody, SessionIdParam, SessionSchema } from "../schemas.ts";

/** Sessions with persisted chat history. */
export function sessionRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const { sessions } = deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/sessions",
      description: "Creates a session. Sessions past retention (count and idle age) are removed first.",
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
      method: "delete",
      path: "/api/sessions/{id}",
      request: { params: SessionIdParam },
      responses: { 204: { description: "deleted, with its messages" }, ...writeErrorResponses },
    }),
    async (c) => {
      await sessions.delete(c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/sessions/{id}/messages",
      request: { params: SessionIdParam, body: body(MessageBody) },
      responses: {
        // Only the stored message: answering with the whole session would cost as much as the
        // rewrite the append avoids.
        201: json(ChatMessageSchema, "the stored message, appended to the session"),
        ...writeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await sessions.addMessage(id, c.req.valid("json")), 201);
    },
  );
}
