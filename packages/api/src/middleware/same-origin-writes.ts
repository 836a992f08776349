import { ForbiddenError } from "@dawsos/core";
import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";

/** Methods that change nothing. Everything else is treated as state-changing. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** `scheme://host[:port]` of an http(s) origin, normalised (case, default port); else `null`. */
function originOf(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
}

/** The origin a browser sees for this request: the request's scheme with the `Host` it sent. */
function ownOrigin(c: Context<ApiEnv>): string | null {
  const url = new URL(c.req.url);
  return originOf(`${url.protocol}//${c.req.header("host") ?? url.host}`);
}

const refuse = (why: string) =>
  new ForbiddenError(
    `${why}: without a token this server accepts changes only from its own origin (or a configured CORS origin)`,
  );

/**
 * CSRF protection for a server that answers without a token. Any web page may send a
 * state-changing request here (a form, `fetch` in `no-cors` mode): the browser only keeps it
 * from reading the answer, and bodiless requests (`POST /api/backups`) need no JSON content type.
 * Browsers say where such a request comes from, so one that says "another origin" is refused
 * with 403 `forbidden`:
 *
 * - an `Origin` that is neither this server's own origin (its scheme and `Host`) nor one of
 *   `trustedOrigins` (the CORS allow-list) — `Origin: null` (sandboxed frames, `file:` pages,
 *   redirects) included;
 * - a `Sec-Fetch-Site` of `cross-site`, or `same-site` (another port or subdomain of the same
 *   site is still another origin), unless the `Origin` is trusted.
 *
 * Requests that carry neither header are not from a browser (curl, the CLI, scripts) and pass:
 * they could just as well send any header they like.
 */
export function sameOriginWrites(trustedOrigins: readonly string[]): MiddlewareHandler<ApiEnv> {
  const trusted = new Set<string>();
  for (const origin of trustedOrigins) {
    const normalised = originOf(origin);
    if (normalised === null) throw new TypeError(`not an http(s) origin: ${JSON.stringify(origin)}`);
    trusted.add(normalised);
  }
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      const normalised = originOf(origin);
      if (normalised !== null && trusted.has(normalised)) return next();
      if (normalised === null || normalised !== ownOrigin(c)) throw refuse("cross-origin request");
    }
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      throw refuse(`cross-origin request (Sec-Fetch-Site: ${site.slice(0, 20)})`);
    }
    await next();
  };
}
