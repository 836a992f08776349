import { canonicalJson, PreconditionFailed, sha256HexSync } from "@dawsos/core";

/** Strong ETag of one record: a digest of its canonical JSON. */
export function recordEtag(record: unknown): string {
  return `"${sha256HexSync(canonicalJson(record)).slice(0, 24)}"`;
}

/** ETag of the whole graph: its `seq` (SPEC section 5). */
export const graphEtag = (seq: number) => `"${seq}"`;

/**
 * Evaluates `If-Match` (RFC 9110): `*` matches any existing representation, otherwise one of
 * the listed tags must equal the current one. Throws 412 when it does not hold.
 */
export function checkIfMatch(header: string | undefined, current: string | null): void {
  if (header === undefined) return;
  const tags = header.split(",").map((t) => t.trim().replace(/^W\//, ""));
  const ok = current !== null && (tags.includes("*") || tags.includes(current));
  if (!ok) throw new PreconditionFailed();
}
