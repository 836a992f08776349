import { canonicalJson, PreconditionFailed, sha256HexSync } from "@dawsos/core";

const tags = new WeakMap<object, string>();

/**
 * Strong ETag of one stored record: a digest of its canonical JSON, so every process and every
 * Worker isolate gives the same record the same tag (`If-Match` works across them). Stored
 * records are never mutated (a change replaces the object), so the digest is computed once per
 * record version and cached.
 */
export function recordEtag(record: object): string {
  let tag = tags.get(record);
  if (tag === undefined) {
    tag = `"${sha256HexSync(canonicalJson(record)).slice(0, 32)}"`;
    tags.set(record, tag);
  }
  return tag;
}

/** ETag of the whole graph: its `seq` (SPEC section 5). */
export const graphEtag = (seq: number) => `"${seq}"`;

/**
 * Evaluates `If-Match` (RFC 9110): `*` matches any existing representation, otherwise one of
 * the listed tags must equal the current one by strong comparison, so a weak tag (`W/"…"`)
 * never matches (SPEC section 5: 412). Throws 412 when it does not hold.
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
