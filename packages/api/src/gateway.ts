import { Hono } from "hono";
import { DEFAULT_BODY_LIMIT, DEFAULT_GRAPH_BODY_LIMIT } from "./app.ts";
import type { ApiEnv, AppDeps } from "./deps.ts";
import { errorResponse } from "./errors.ts";
import { auth } from "./middleware/auth.ts";
import { limitBody } from "./middleware/body-limit.ts";
import { requestContext } from "./middleware/request-context.ts";
import { securityHeaders } from "./middleware/security-headers.ts";

/** What a gateway needs: the checks it makes itself, and where the request then goes. */
export interface GatewayDeps
  extends Pick<AppDeps, "token" | "requireToken" | "bodyLimit" | "graphBodyLimit" | "log"> {
  /**
   * Serves a request that passed the gateway's checks (on the Worker: `stub.fetch` into the
   * `GraphObject` Durable Object, where `createApp` answers it). The request keeps its method,
   * path, headers (the `X-Request-Id` the gateway chose included) and body.
   */
  forward(request: Request): Promise<Response>;
}

/**
 * The front of a deployment whose API runs elsewhere (the Worker in front of its Durable
 * Object): it refuses what must not cost the object anything — a missing or wrong token, a body
 * over the limit — with the same envelopes as `createApp`, and forwards the rest unchanged, so
 * there is one HTTP contract, answered by the app behind it.
 */
export function createGateway(deps: GatewayDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use("*", requestContext(deps));
  app.use("*", securityHeaders);
  app.use("/api/*", auth(deps));
  const smallBodies = limitBody(deps.bodyLimit ?? DEFAULT_BODY_LIMIT);
  const graphBodies = limitBody(deps.graphBodyLimit ?? DEFAULT_GRAPH_BODY_LIMIT);
  app.use("/api/*", (c, next) =>
    c.req.method === "PUT" && c.req.path === "/api/graph" ? graphBodies(c, next) : smallBodies(c, next),
  );
  app.all("*", async (c) => {
    const headers = new Headers(c.req.raw.headers);
    headers.set("x-request-id", c.get("requestId"));
    const forwarded = new Request(c.req.raw, { headers });
    const response = await deps.forward(forwarded);
    // A WebSocket accepted behind the gateway (101) goes back as it is: a copy would lose it.
    if (response.status === 101) return response;
    // A fetched response's headers are immutable; the copy lets the gateway's headers join.
    return new Response(response.body, response);
  });
  app.onError((err, c) => errorResponse(err, c));
  return app;
}
