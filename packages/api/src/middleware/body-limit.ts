import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";
import { errorBody } from "../errors.ts";

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
export function limitBody(maxSize: number): MiddlewareHandler<ApiEnv> {
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
