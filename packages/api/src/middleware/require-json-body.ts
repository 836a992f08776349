import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";
import { errorBody } from "../errors.ts";

/** Requests that carry a body must say it is JSON (415 otherwise), before anything parses it. */
export const requireJsonBody: MiddlewareHandler<ApiEnv> = async (c, next) => {
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
