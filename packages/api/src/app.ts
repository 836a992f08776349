import { assertJsonValue, ValidationError } from "@dawsos/core";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { timingSafeEqual } from "hono/utils/buffer";
import type { ApiEnv, AppDeps } from "./deps.ts";
import { errorBody, errorResponse } from "./errors.ts";
import { adminRoutes } from "./routes/admin-routes.ts";
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
 * the apps pass in a graph service (`GraphStore` or `EdgeGraphStore`) and serve `app.fetch`.
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
  app.use("*", securityHeaders);
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
  app.use("/api/*", refuseNonFiniteNumbers);
  // After auth and limits (a refused request costs no storage read): bring the graph up to date
  // with other writers — a no-op for the Node server's single writer, one small head read on R2.
  const refresh: MiddlewareHandler<ApiEnv> = async (_c, next) => {
    await deps.store.refresh();
    await next();
  };
  app.use("/api/*", refresh);
  app.use("/health", refresh);

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
  // Optional capabilities: their routes exist only when the composition root provides them.
  if (deps.history) workflowHistoryRoutes(app, deps.history);
  if (deps.workflows) workflowRoutes(app, deps.workflows);
  if (deps.market) dataRoutes(app, deps.market);

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

/** Bytes of an oversized chunked body read and discarded so the client gets to read the 413. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

const tooLarge = (c: Context, close: boolean) =>
  c.json(errorBody("payload_too_large", "request body too large"), 413, close ? { Connection: "close" } : {});

/**
 * Body limit (SPEC: 413, the handler never runs). A declared `Content-Length` is judged without
 * touching the body, so the server can discard it and keep the connection. A chunked body is
 * read up to the limit; past it the rest is read and discarded (bounded) before the 413, so a
 * client still sending gets the answer instead of a reset, and the connection is closed.
 */
function limitBody(maxSize: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const method = c.req.method;
    // Only methods that carry bodies; touching `c.req.raw.body` on a GET costs a full Request.
    if (method !== "POST" && method !== "PUT" && method !== "PATCH") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      return Number(length) > maxSize ? tooLarge(c, false) : next();
    }
    const body = c.req.raw.body;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxSize) {
        for (let drained = 0; drained < DRAIN_LIMIT; ) {
          const rest = await reader.read();
          if (rest.done) break;
          drained += rest.value.length;
        }
        await reader.cancel().catch(() => undefined);
        return tooLarge(c, true);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    c.req.raw = new Request(c.req.raw, { body: bytes });
    return next();
  };
}

/**
 * The headers Hono's `secureHeaders()` sets by default, set *before* the handler with
 * `c.header()` instead of after it on the finished response (which would force
 * @hono/node-server to rebuild and stream every response). Same protection, no slow path.
 */
const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

const securityHeaders: MiddlewareHandler<ApiEnv> = async (c, next) => {
  for (const [name, value] of SECURITY_HEADERS) c.header(name, value);
  await next();
};

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
    // Set before the handler: headers added to a finished response force @hono/node-server
    // off its fast path (a full Response is rebuilt and streamed) — a large share of a GET.
    c.header("X-Request-Id", requestId);
    try {
      await next();
    } finally {
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
  // Any credential that is not exactly `Bearer <token>` is a 401 (never Hono's 400), and the
  // token may be any printable ASCII the configuration accepts.
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !(await timingSafeEqual(token, match[1]!))) {
      const message = header === undefined ? "missing bearer token" : "invalid bearer token";
      return c.json(errorBody("unauthorized", message), 401, { "WWW-Authenticate": "Bearer" });
    }
    await next();
  };
}

/**
 * SPEC section 4: every number anywhere in a request is finite — `1e999` (which JSON.parse turns
 * into Infinity) is a 400, wherever it is. The stores refuse it where they keep values (data,
 * metadata, pattern values, documents), but a member a route does not read (an unknown field of
 * a node, edge, batch or message body, or any body of a route that takes none) was accepted
 * silently: the HTTP fuzz test (tests/http/fuzz.test.ts) found it. So every JSON body is checked
 * as a whole before a handler runs, iteratively (no depth limit here: the stores apply theirs).
 * Hono caches the parsed body, so the validators and handlers do not parse it again; a body that
 * is not JSON is left to them (a 400 from the validator, or ignored by routes that take no body).
 */
const refuseNonFiniteNumbers: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== "POST" && method !== "PUT" && method !== "PATCH") return next();
  const length = c.req.header("content-length");
  const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
  if (!hasBody) return next();
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return next();
  }
  try {
    assertJsonValue(body, "body", Number.POSITIVE_INFINITY);
  } catch (err) {
    // A batch's 400 names the failing op (SPEC section 5), as the store's own refusals do.
    const path =
      err instanceof ValidationError ? (err.details as { path?: unknown } | undefined)?.path : undefined;
    const op =
      c.req.path === "/api/batch" && typeof path === "string" ? /^body\.ops\[(\d+)\]/.exec(path) : null;
    if (!op) throw err;
    const index = Number(op[1]);
    throw new ValidationError(`op ${index}: ${(err as Error).message}`, {
      cause: err,
      details: { index, code: "validation_error", path },
    });
  }
  return next();
};

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
