import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { ApiEnv, AppDeps } from "./deps.ts";
import { errorBody, errorResponse } from "./errors.ts";
import { adminRoutes } from "./routes/admin-routes.ts";
import { edgeRoutes } from "./routes/edge-routes.ts";
import { graphRoutes } from "./routes/graph-routes.ts";
import { nodeRoutes } from "./routes/node-routes.ts";
import { patternRoutes } from "./routes/pattern-routes.ts";
import { sessionRoutes } from "./routes/session-routes.ts";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_GRAPH_BODY_LIMIT = 64 * 1024 * 1024;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The DawsOS HTTP API (SPEC section 5) as one Hono app. It knows nothing of Node or Workers:
 * the apps pass in a `GraphStore` over their adapter and serve `app.fetch`.
 */
export function createApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    // zod failures become the SPEC envelope with the issues in `details`.
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(
          errorBody("validation_error", "request does not match the schema", result.error.issues),
          400,
        );
      }
    },
  });

  app.use("*", requestContext(deps));
  app.use("*", secureHeaders());
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      "/api/*",
      cors({ origin: [...deps.corsOrigins], allowHeaders: ["Authorization", "Content-Type", "If-Match"] }),
    );
  }
  // Auth before anything else that reads the request.
  app.use("/api/*", auth(deps));
  app.use("/api/*", requireJsonBody);
  const limit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const graphLimit = deps.graphBodyLimit ?? DEFAULT_GRAPH_BODY_LIMIT;
  const tooLarge = (c: Context) => c.json(errorBody("payload_too_large", "request body too large"), 413);
  const smallBodies = bodyLimit({ maxSize: limit, onError: tooLarge });
  const graphBodies = bodyLimit({ maxSize: graphLimit, onError: tooLarge });
  app.use("/api/*", (c, next) =>
    c.req.method === "PUT" && c.req.path === "/api/graph" ? graphBodies(c, next) : smallBodies(c, next),
  );

  app.get("/health", (c) =>
    c.json({
      status: "ok",
      version: deps.version,
      storage: deps.storageKind,
      graph: {
        nodes: deps.store.graph.nodeCount,
        edges: deps.store.graph.edgeCount,
        patterns: deps.store.graph.patternCount,
        seq: deps.store.graph.seq,
      },
    }),
  );

  graphRoutes(app, deps);
  nodeRoutes(app, deps);
  edgeRoutes(app, deps);
  patternRoutes(app, deps);
  adminRoutes(app, deps);
  sessionRoutes(app, deps);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "DawsOS persistence API", version: deps.version },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });

  const routes = app.openAPIRegistry.definitions
    .filter((d) => d.type === "route")
    .map((d) => ({ method: d.route.method.toUpperCase(), pattern: pathPattern(d.route.path) }));
  app.notFound((c) => {
    const allowed = METHODS.filter((m) => routes.some((r) => r.method === m && r.pattern.test(c.req.path)));
    if (allowed.length > 0) {
      return c.json(errorBody("method_not_allowed", `${c.req.method} is not allowed here`), 405, {
        Allow: allowed.join(", "),
      });
    }
    return c.json(errorBody("not_found", "no such route"), 404);
  });
  app.onError((err, c) => errorResponse(err, c));
  return app;
}

/** `/api/nodes/{id}` → a regex matching one path segment per parameter. */
function pathPattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
  return new RegExp(`^${source}$`);
}

function requestContext(deps: AppDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = Date.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    try {
      await next();
    } finally {
      c.header("X-Request-Id", requestId);
      deps.log?.({
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Date.now() - started,
      });
    }
  };
}

function auth(deps: AppDeps): MiddlewareHandler<ApiEnv> {
  const token = deps.token;
  if (!token) {
    return async (c, next) => {
      if (deps.requireToken) return c.json(errorBody("not_configured", "API_TOKEN is not configured"), 503);
      await next();
    };
  }
  return bearerAuth({
    token,
    noAuthenticationHeader: { message: errorBody("unauthorized", "missing bearer token") },
    invalidAuthenticationHeader: { message: errorBody("unauthorized", "malformed Authorization header") },
    invalidToken: { message: errorBody("unauthorized", "invalid bearer token") },
  });
}

/** Requests that carry a body must say it is JSON (415 otherwise), before anything parses it. */
const requireJsonBody: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const method = c.req.method;
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    const length = c.req.header("content-length");
    const hasBody =
      (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    const type = c.req.header("content-type") ?? "";
    if (hasBody && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      return c.json(errorBody("unsupported_media_type", "send the body as application/json"), 415);
    }
  }
  await next();
};
