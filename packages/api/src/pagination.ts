import { ValidationError } from "@dawsos/core";
import { keysetPage } from "@dawsos/core/store";

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

/**
 * Keyset pagination over ids in code-unit order (core's `keysetPage`), with the cursor encoded
 * for clients: each page starts after the previous page's last id, so inserts and deletes
 * elsewhere never shift, repeat or skip items.
 */
export function paginate<T>(
  sortedIds: readonly string[],
  cursor: string | undefined,
  limit: number,
  lookup: (id: string) => T | undefined,
): { items: T[]; next_cursor: string | null } {
  const page = keysetPage(sortedIds, cursor === undefined ? undefined : decodeCursor(cursor), limit, lookup);
  return { items: page.items, next_cursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor) };
}
