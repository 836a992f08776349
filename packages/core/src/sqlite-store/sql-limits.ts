import { PayloadTooLargeError } from "../errors/errors.ts";
import type { SqlValue } from "./sql-database.ts";

/*
 * Durable Object SQLite storage limits (Cloudflare docs, "Durable Objects > Platform > Limits",
 * SQLite storage backend). Local workerd and Miniflare enforce none of them, so the store
 * enforces them itself:
 *
 *   - maximum row size / string, BLOB or table row: 2 MB
 *   - maximum SQL statement length: 100 KB
 *   - maximum bound parameters per query: 100
 *   - 30 s of CPU per request (configurable): what makes large imports run in chunks
 */

/** "Maximum row size 2 MB": read as 2,000,000 bytes, the stricter reading. */
export const MAX_ROW_BYTES = 2_000_000;

/**
 * The JSON body of one node, edge or pattern. The rest of the row (the id and type keys of at
 * most 2 × 256 UTF-16 code units each, the search key, the numbers) stays well below the 16 KiB
 * left over.
 */
export const MAX_RECORD_BYTES = MAX_ROW_BYTES - 16 * 1024;

/** "Maximum bound parameters per query 100". */
export const MAX_BOUND_PARAMETERS = 100;

/** "Maximum SQL statement length 100 KB". Our statements are short; bulk rows go as bindings. */
export const MAX_STATEMENT_BYTES = 100_000;

/** Bytes of `text` as UTF-8, without encoding it. Lone surrogates count as U+FFFD (3 bytes). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Refuses a record whose stored JSON would not fit in one row. `what` names it for the client
 * (`node "X"`); the error carries the sizes in `details`.
 */
export function assertRecordFits(json: string, what: string): void {
  // Cheap first: a UTF-8 encoding is at most 3 bytes per UTF-16 code unit.
  if (json.length * 3 <= MAX_RECORD_BYTES) return;
  const bytes = utf8Length(json);
  if (bytes <= MAX_RECORD_BYTES) return;
  throw new PayloadTooLargeError(
    `${what} is ${bytes} bytes as JSON; the Durable Object store keeps at most ${MAX_RECORD_BYTES} bytes per record (2 MB row limit)`,
    { details: { record: what, bytes, limit: MAX_RECORD_BYTES } },
  );
}

/**
 * Splits `rows` (each `columns` bindings wide) into as few statements as the bound-parameter
 * limit allows: `run(count, bindings)` executes one multi-row statement.
 */
export function forEachRowChunk(
  rows: readonly (readonly SqlValue[])[],
  columns: number,
  run: (count: number, bindings: SqlValue[]) => void,
): void {
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / columns));
  for (let start = 0; start < rows.length; start += perStatement) {
    const slice = rows.slice(start, start + perStatement);
    run(slice.length, slice.flat());
  }
}

/** `(?, ?, ?), (?, ?, ?)`: the VALUES list of `count` rows of `columns` bindings. */
export function valuesList(count: number, columns: number): string {
  const row = `(${new Array(columns).fill("?").join(", ")})`;
  return new Array(count).fill(row).join(", ");
}

/** Splits `items` into groups of at most `MAX_BOUND_PARAMETERS` (for `IN (…)` lists). */
export function parameterChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BOUND_PARAMETERS)
    out.push(items.slice(i, i + MAX_BOUND_PARAMETERS));
  return out;
}
