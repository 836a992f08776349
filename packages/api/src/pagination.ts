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
