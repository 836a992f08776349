import { PreconditionFailed } from "@dawsos/core";

const tags = new WeakMap<object, string>();
/** Distinguishes this process's tags from an earlier one's (the cache starts empty). */
const boot = Math.random().toString(36).slice(2, 8);

/**
 * Strong ETag of one stored record, O(1). Stored records are never mutated: a change replaces
 * the object. So a record version is tagged with the graph `seq` at which it was first asked
 * for, remembered per object: a newer version of the same record is created at a later `seq`
 * than any earlier version was seen at, so its tag differs. A tag from before a restart never
 * matches (conservative: `If-Match` then answers 412 and the client re-reads).
 */
export function recordEtag(record: object, seq: number): string {
  let tag = tags.get(record);
  if (tag === undefined) {
    tag = `"${boot}-${seq}"`;
    tags.set(record, tag);
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
