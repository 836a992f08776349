import type { SqlValue } from "./sql-database.ts";

/**
 * Ids and types are stored as BLOBs holding their UTF-16 code units, big-endian. Two reasons:
 *
 * - Order: SQLite compares BLOBs with memcmp, and memcmp over big-endian UTF-16 is exactly
 *   JavaScript's code-unit order, the order RFC 8785 sorts keys in and our keyset pagination
 *   uses. TEXT compares UTF-8 (code-point order), which differs for characters above U+FFFF.
 * - Exactness: an id may hold any JavaScript string, lone surrogates included (a JSON body can
 *   carry `"\ud800"`). As TEXT those become U+FFFD and two distinct ids would collide.
 */
export function toKey(text: string): ArrayBuffer {
  const buffer = new ArrayBuffer(text.length * 2);
  const view = new DataView(buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i));
  return buffer;
}

/** The string a key holds. */
export function fromKey(value: SqlValue): string {
  const bytes = bytesOf(value);
  let out = "";
  const units: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    units.push((bytes[i]! << 8) | bytes[i + 1]!);
    if (units.length === 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

function bytesOf(value: SqlValue): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`expected a BLOB key, got ${typeof value}`);
}
