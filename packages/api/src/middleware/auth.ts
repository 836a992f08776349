import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { ApiEnv, AppDeps } from "../deps.ts";
import { errorBody } from "../errors.ts";

/** Bearer auth (SPEC section 5): before anything else reads the request. */
export function auth(deps: Pick<AppDeps, "token" | "requireToken">): MiddlewareHandler<ApiEnv> {
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
