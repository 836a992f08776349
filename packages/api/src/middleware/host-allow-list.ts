import { ForbiddenError } from "@dawsos/core";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";

/** `host[:port]` as a Host header carries it: a DNS name, an IPv4 address or a bracketed IPv6. */
const AUTHORITY = /^(?:\[[0-9a-f:.]+\]|[\w.-]+)(?::\d{1,5})?$/i;

/**
 * The host name of a Host header value, normalised by the WHATWG URL parser (lower case, no
 * port, IPv4 in dotted-decimal form: `127.1` → `127.0.0.1`); `null` when the value is not a
 * plain `host[:port]` (userinfo, paths, spaces…), so nothing odd can parse into an allowed name.
 */
export function hostnameOf(authority: string): string | null {
  if (!AUTHORITY.test(authority)) return null;
  try {
    return new URL(`http://${authority}`).hostname;
  } catch {
    return null;
  }
}

/**
 * Names only this machine answers to. A DNS-rebinding page reaches the server under its own
 * domain name, never under one of these, so they need no configuration. (The whole 127/8 block:
 * the server may be bound to any address in it.)
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

const shown = (value: string) => JSON.stringify(value.slice(0, 100));

/**
 * DNS-rebinding protection for a server that answers without a token: a page on
 * `evil.example` whose DNS name is re-pointed at 127.0.0.1 talks to this server "same-origin",
 * so the browser lets it read every answer. The only trace is the `Host` header, which still
 * names the attacker's domain. So only loopback names and the configured `allowedHosts` (host
 * names, any port) are served; anything else is 403 `forbidden` before any route runs.
 *
 * Both the `Host` header and the request URL's host are checked: they differ only for an
 * absolute-form request target (`GET http://other/ HTTP/1.1`), which no browser sends to an
 * origin server, and neither may name a foreign host.
 */
export function hostAllowList(allowedHosts: readonly string[]): MiddlewareHandler<ApiEnv> {
  const allowed = new Set<string>();
  for (const host of allowedHosts) {
    const hostname = hostnameOf(host);
    if (hostname === null) throw new TypeError(`not a host name: ${shown(host)}`);
    allowed.add(hostname);
  }
  const accepts = (authority: string) => {
    const hostname = hostnameOf(authority);
    return hostname !== null && (isLoopbackHostname(hostname) || allowed.has(hostname));
  };
  return async (c, next) => {
    const header = c.req.header("host");
    const urlHost = new URL(c.req.url).host;
    for (const authority of header === undefined ? [urlHost] : [header, urlHost]) {
      if (!accepts(authority)) {
        throw new ForbiddenError(
          `Host ${shown(authority)} is not allowed: without a token this server answers only to loopback names and its allowed hosts`,
        );
      }
    }
    await next();
  };
}
