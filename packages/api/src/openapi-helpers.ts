import type { ZodType } from "zod";
import { ErrorSchema } from "./schemas.ts";

/** A JSON response entry for `createRoute`. */
export function json(schema: ZodType, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** A required JSON request body for `createRoute`. */
export function body<T extends ZodType>(schema: T, description = "JSON body") {
  return { content: { "application/json": { schema } }, required: true, description };
}

/** The error responses every `/api` route can give. */
export const errorResponses = {
  400: json(ErrorSchema, "validation_error"),
  401: json(ErrorSchema, "unauthorized"),
  404: json(ErrorSchema, "not_found"),
};

export const writeErrorResponses = {
  ...errorResponses,
  409: json(ErrorSchema, "conflict"),
  412: json(ErrorSchema, "precondition_failed"),
  413: json(ErrorSchema, "payload_too_large"),
  415: json(ErrorSchema, "unsupported_media_type"),
};

/** The data routes add the upstream failures (SPEC section 5). */
export const dataErrorResponses = {
  ...errorResponses,
  502: json(ErrorSchema, "upstream_error: the provider failed and nothing is cached"),
  503: json(ErrorSchema, "not_configured (no API key) or rate_limited (with Retry-After)"),
};
