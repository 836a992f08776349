import { ValidationError } from "@dawsos/core";

/** Cursors are the last id of the previous page, base64url-encoded (opaque to clients). */
export function encodeCursor(id: string): string {
  const bytes = new TextEncoder().encode(id);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): string {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
  } catch {
    throw new ValidationError("cursor is not valid", { details: { field: "cursor" } });
  }
}

/** First index in sorted `ids` whose id is greater than `after` (binary search). */
function firstAfter(ids: readonly string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Keyset pagination over ids in code-unit order: each page starts after the previous page's
 * last id, so inserts and deletes elsewhere never shift, repeat or skip items.
 */
export function paginate<T>(
  sortedIds: readonly string[],
  cursor: string | undefined,
  limit: number,
  lookup: (id: string) => T | undefined,
): { items: T[]; next_cursor: string | null } {
  const start = cursor === undefined ? 0 : firstAfter(sortedIds, decodeCursor(cursor));
  const items: T[] = [];
  let lastId: string | null = null;
  for (let i = start; i < sortedIds.length; i++) {
    const id = sortedIds[i]!;
    const item = lookup(id);
    if (item === undefined) continue;
    if (items.length === limit) return { items, next_cursor: encodeCursor(lastId!) };
    items.push(item);
    lastId = id;
  }
  return { items, next_cursor: null };
}
