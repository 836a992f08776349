import { ValidationError } from "@dawsos/core";
import { assertJsonValue } from "@dawsos/core/graph";
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
  refuseNonFinite(parsed, c.req.path);
  c.set("jsonBody", parsed);
  // The validators read the body through `c.req.json()`: hand them the same object.
  Object.defineProperty(c.req, "json", { value: () => Promise.resolve(parsed), configurable: true });
  return next();
};

/**
 * SPEC section 4: every number anywhere in a request is finite — `1e999` (which JSON.parse turns
 * into Infinity) is a 400 wherever it is, also in a member no route reads (found by the HTTP fuzz
 * test). Checked iteratively over the whole body, without a depth limit (the stores apply
 * theirs). A batch's 400 names the failing op, as the store's own refusals do.
 */
function refuseNonFinite(body: unknown, path: string): void {
  try {
    assertJsonValue(body, "body", Number.POSITIVE_INFINITY);
  } catch (err) {
    const where =
      err instanceof ValidationError ? (err.details as { path?: unknown } | undefined)?.path : undefined;
    const op = path === "/api/batch" && typeof where === "string" ? /^body\.ops\[(\d+)\]/.exec(where) : null;
    if (!op) throw err;
    const index = Number(op[1]);
    throw new ValidationError(`op ${index}: ${(err as Error).message}`, {
      cause: err,
      details: { index, code: "validation_error", path: where },
    });
  }
}

/** The request body as parsed by `parseJsonOnce` (already validated by the route's schema). */
export function jsonBody<T>(c: Context<ApiEnv>): T {
  return c.get("jsonBody") as T;
}
