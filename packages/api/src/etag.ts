import { canonicalJson, PreconditionFailed, sha256HexSync } from "@dawsos/core";

const cache = new WeakMap<object, string>();

/**
 * Strong ETag of one record: a digest of its canonical JSON. Stored records are never mutated
 * (a change replaces the object), so the tag is computed once per version and cached.
 */
export function recordEtag(record: object): string {
  let tag = cache.get(record);
  if (tag === undefined) {
    tag = `"${sha256HexSync(canonicalJson(record)).slice(0, 24)}"`;
    cache.set(record, tag);
  }
  return tag;
}

/** ETag of the whole graph: its `seq` (SPEC section 5). */
export const graphEtag = (seq: number) => `"${seq}"`;

/**
 * Evaluates `If-Match` (RFC 9110): `*` matches any existing representation, otherwise one of
 * the listed tags must equal the current one. Throws 412 when it does not hold.
 */
export function checkIfMatch(
  header: string | undefined,
  current: string | null | (() => string | null),
): void {
  if (header === undefined) return;
  if (typeof current === "function") current = current();
  const tags = header.split(",").map((t) => t.trim().replace(/^W\//, ""));
  const ok = current !== null && (tags.includes("*") || tags.includes(current));
  if (!ok) throw new PreconditionFailed();
}
