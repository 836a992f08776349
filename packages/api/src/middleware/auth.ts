import { sha256HexSync } from "@dawsos/core";
import type { MiddlewareHandler } from "hono";
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
  //
  // The presented token is compared by its SHA-256 with the configured one's, in constant time:
  // nothing about the token's bytes or length shows in the timing. (Hono's `timingSafeEqual`
  // does the same with two asynchronous Web Crypto digests per request, which on Node cost a
  // fifth of a whole GET.)
  const expected = sha256HexSync(token);
  return async (c, next) => {
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !sameDigest(expected, sha256HexSync(match[1]!))) {
      const message = header === undefined ? "missing bearer token" : "invalid bearer token";
      return c.json(errorBody("unauthorized", message), 401, { "WWW-Authenticate": "Bearer" });
    }
    await next();
  };
}

/** Equal hex digests, compared without an early exit (both are 64 characters). */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
