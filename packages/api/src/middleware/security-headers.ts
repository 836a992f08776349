import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";

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

export const securityHeaders: MiddlewareHandler<ApiEnv> = async (c, next) => {
  for (const [name, value] of SECURITY_HEADERS) c.header(name, value);
  await next();
};

/**
 * A copy of `response` with the same headers, for answers that never pass through an app: the
 * Worker's static dashboard files (the Node server serves them through the app, so
 * `securityHeaders` covers them there). Without them, any site could frame the dashboard.
 */
export function withSecurityHeaders(response: Response): Response {
  const copy = new Response(response.body, response);
  for (const [name, value] of SECURITY_HEADERS) copy.headers.set(name, value);
  return copy;
}
