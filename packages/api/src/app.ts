import { graphReaderOf } from "@dawsos/core/store";
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { ApiEnv, AppDeps, RouteDeps } from "./deps.ts";
import { errorBody, errorResponse } from "./errors.ts";
import { auth } from "./middleware/auth.ts";
import { limitBody } from "./middleware/body-limit.ts";
import { hostAllowList } from "./middleware/host-allow-list.ts";
import { parseJsonOnce } from "./middleware/json-body.ts";
import { refresh } from "./middleware/refresh.ts";
import { requestContext } from "./middleware/request-context.ts";
import { requireJsonBody } from "./middleware/require-json-body.ts";
import { sameOriginWrites } from "./middleware/same-origin-writes.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { adminRoutes } from "./routes/admin-routes.ts";
import { changeRoutes } from "./routes/change-routes.ts";
import { dataRoutes } from "./routes/data-routes.ts";
import { edgeRoutes } from "./routes/edge-routes.ts";
import { graphRoutes } from "./routes/graph-routes.ts";
import { nodeRoutes } from "./routes/node-routes.ts";
import { patternRoutes } from "./routes/pattern-routes.ts";
import { sessionRoutes } from "./routes/session-routes.ts";
import { workflowHistoryRoutes, workflowRoutes } from "./routes/workflow-routes.ts";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_GRAPH_BODY_LIMIT = 64 * 1024 * 1024;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The DawsOS HTTP API (SPEC section 5) as one Hono app. It knows nothing of Node or Workers:
 * the apps pass in a graph service (`GraphStore` or `SqliteGraphStore`) and serve `app.fetch`.
 */
export function createApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const reader = deps.reader ?? graphReaderOf(deps.store);
  // Every write through the API records `api` and the token's label (never the token).
  const audit =
    deps.tokenLabel === undefined
      ? { source: "api" as const }
      : { source: "api" as const, actor: deps.tokenLabel };
  const routeDeps: RouteDeps = { ...deps, reader, audit };
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
  app.use("*", securityHeaders);
  if (deps.noTokenProtection) {
    // On every path, before CORS and auth: a DNS-rebinding page can read /health and the
    // dashboard's files (which the Node server mounts after these routes) as well as /api.
    app.use("*", hostAllowList(deps.noTokenProtection.allowedHosts));
    app.use("*", sameOriginWrites(deps.corsOrigins ?? []));
  }
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
  const smallBodies = limitBody(limit);
  const graphBodies = limitBody(graphLimit);
  app.use("/api/*", (c, next) =>
    c.req.method === "PUT" && c.req.path === "/api/graph" ? graphBodies(c, next) : smallBodies(c, next),
  );
  app.use("/api/*", parseJsonOnce);
  // After auth and limits (a refused request costs no storage read).
  app.use("/api/*", refresh(deps.store));
  app.use("/health", refresh(deps.store));

  app.get("/health", async (c) =>
    c.json({ status: "ok", version: deps.version, storage: deps.storageKind, graph: await reader.counts() }),
  );

  graphRoutes(app, routeDeps);
  nodeRoutes(app, routeDeps);
  edgeRoutes(app, routeDeps);
  patternRoutes(app, routeDeps);
  adminRoutes(app, routeDeps);
  sessionRoutes(app, routeDeps);
  // Optional capabilities: their routes exist only when the composition root provides them.
  if (deps.history) workflowHistoryRoutes(app, deps.history);
  if (deps.workflows) workflowRoutes(app, deps.workflows);
  if (deps.market) dataRoutes(app, deps.market);
  if (deps.changes) changeRoutes(app, deps.changes, deps.feedLimits);

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
