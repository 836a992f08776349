import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ApiEnv } from "../deps.ts";

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Parses a JSON request body exactly once. The route validators (zod) check that same object,
 * and handlers take it with `jsonBody(c)`: the parse keeps `__proto__` and `constructor` keys as
 * plain data, which zod's output would drop. A malformed body is a 400 before any handler runs.
 */
export const parseJsonOnce: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== "POST" && method !== "PUT" && method !== "PATCH") return next();
  if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) return next();
  const text = await c.req.text();
  if (text === "") return next();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HTTPException(400, { message: "malformed JSON in request body" });
  }
  c.set("jsonBody", parsed);
  // The validators read the body through `c.req.json()`: hand them the same object.
  Object.defineProperty(c.req, "json", { value: () => Promise.resolve(parsed), configurable: true });
  return next();
};

/** The request body as parsed by `parseJsonOnce` (already validated by the route's schema). */
export function jsonBody<T>(c: Context<ApiEnv>): T {
  return c.get("jsonBody") as T;
}
