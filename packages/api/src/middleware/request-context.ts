import type { MiddlewareHandler } from "hono";
import type { ApiEnv, AppDeps } from "../deps.ts";

/** A request id (kept from `X-Request-Id` when sane), one log line per request. */
export function requestContext(deps: Pick<AppDeps, "log">): MiddlewareHandler<ApiEnv> {
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
