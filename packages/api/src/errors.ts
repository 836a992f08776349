import { DawsosError, type ErrorCode, RateLimitedError } from "@dawsos/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The SPEC error envelope. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Our error codes → HTTP status and the envelope's code (SPEC section 5). Typed by `ErrorCode`,
 * so a new code cannot fall through to a 500 unnoticed: the compiler asks for its row.
 */
const STATUS: Record<ErrorCode, [ContentfulStatusCode, string]> = {
  validation_error: [400, "validation_error"],
  invalid_id: [400, "validation_error"],
  forbidden: [403, "forbidden"],
  not_found: [404, "not_found"],
  unknown_node: [404, "unknown_node"],
  conflict: [409, "conflict"],
  precondition_failed: [412, "precondition_failed"],
  // A record past the store's row limit (2 MB on the Durable Object's SQLite backend).
  payload_too_large: [413, "payload_too_large"],
  checksum_mismatch: [409, "integrity_error"],
  malformed_json: [409, "integrity_error"],
  empty_file: [409, "integrity_error"],
  invalid_document: [409, "integrity_error"],
  integrity_error: [409, "integrity_error"],
  read_only: [503, "read_only"],
  lock_held: [503, "lock_held"],
  storage_error: [500, "storage_error"],
  // A store opened over an adapter it cannot work on: a deployment mistake, not the client's.
  unsupported_storage: [500, "unsupported_storage"],
  not_configured: [503, "not_configured"],
  upstream_error: [502, "upstream_error"],
  // A budget (ours or the provider's) ran out: temporary, with a known time to retry, so 503 +
  // Retry-After rather than 502 (the provider did not fail; we are holding back).
  rate_limited: [503, "rate_limited"],
  // Asked for changes older than the feed retains: reload the graph, continue from its seq.
  gone: [410, "gone"],
};

/**
 * Turns anything thrown into the envelope. Our typed errors keep their message (they never
 * contain host paths: storage keys only); anything else becomes a generic 500 — never a stack
 * trace, never a path.
 */
export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof DawsosError) {
    // The fallback only guards codes forged at runtime past the type.
    const [status, code] = STATUS[err.code] ?? [500, "internal_error"];
    const message = status >= 500 && err.code === "storage_error" ? "storage failure" : err.message;
    const details = status < 500 ? publicDetails(err.details) : undefined;
    if (err instanceof RateLimitedError) {
      const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
      return c.json(errorBody(code, message, details), status, { "Retry-After": String(seconds) });
    }
    return c.json(errorBody(code, message, details), status);
  }
  if (err instanceof HTTPException) {
    if (err.status === 401) {
      return c.json(errorBody("unauthorized", "missing or invalid bearer token"), 401, {
        "WWW-Authenticate": "Bearer",
      });
    }
    if (err.status === 413) return c.json(errorBody("payload_too_large", "request body too large"), 413);
    if (err.status === 400)
      return c.json(errorBody("validation_error", err.message || "malformed request"), 400);
    return c.json(
      errorBody("http_error", err.message || "request failed"),
      err.status as ContentfulStatusCode,
    );
  }
  return c.json(errorBody("internal_error", "internal error", { request_id: c.get("requestId") }), 500);
}

/** Only plain data goes out in `details`. */
function publicDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(details));
  } catch {
    return undefined;
  }
}
