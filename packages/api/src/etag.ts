import { canonicalJson, PreconditionFailed, sha256HexSync } from "@dawsos/core";
import type { Context } from "hono";

const tags = new WeakMap<object, string>();

/**
 * Strong ETag of one stored record: a digest of its canonical JSON, so every process and every
 * Worker isolate gives the same record the same tag (`If-Match` works across them). Stored
 * records are never mutated (a change replaces the object), so the digest is computed once per
 * record version and cached.
 */
export function recordEtag(record: object): string {
  return tags.get(record) ?? remember(record, canonicalJson(record));
}

/** Computes, caches and returns the tag of `record` from its canonical JSON. */
function remember(record: object, canonicalText: string): string {
  const tag = `"${sha256HexSync(canonicalText).slice(0, 32)}"`;
  tags.set(record, tag);
  return tag;
}

/**
 * A stored record as a JSON response with its ETag. On a record's first read the canonical
 * JSON the tag is computed from is also the body (the same JSON value, with keys in the order
 * the store keeps them anyway), so the record is serialised once instead of twice. Typed
 * `never` (as the streaming routes' responses are) so that a typed route may return it: the body
 * is the record its OpenAPI response declares.
 */
export function recordResponse(c: Context, record: object, status: 200 | 201): never {
  const cached = tags.get(record);
  const text = cached === undefined ? canonicalJson(record) : JSON.stringify(record);
  const tag = cached ?? remember(record, text);
  return c.body(text, status, { "Content-Type": "application/json", ETag: tag }) as never;
}

/** ETag of the whole graph: its `seq` (SPEC section 5). */
export const graphEtag = (seq: number) => `"${seq}"`;

/**
 * Evaluates `If-Match` (RFC 9110 section 13.1.1): `*` matches any existing representation,
 * otherwise one of the listed tags must equal the current one by *strong* comparison, so a weak
 * tag (`W/"…"`) never matches, even with the current opaque tag: a weak tag only promises an
 * equivalent representation, not the one a lost update must be checked against. Our tags are
 * always strong. Throws 412 when the condition does not hold.
 */
export function checkIfMatch(
  header: string | undefined,
  current: string | null | (() => string | null),
): void {
  if (header === undefined) return;
  if (typeof current === "function") current = current();
  const tags = header.split(",").map((t) => t.trim());
  const ok = current !== null && (tags.includes("*") || tags.includes(current));
  if (!ok) throw new PreconditionFailed();
}
