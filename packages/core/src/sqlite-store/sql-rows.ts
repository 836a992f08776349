import { IntegrityError } from "../errors/errors.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "../graph/types.ts";
import type { SqlValue } from "./sql-database.ts";
import { toKey } from "./sql-keys.ts";
import { assertRecordFits } from "./sql-limits.ts";

/**
 * Longest lower-cased search text kept in a node's `search` key (code units). Longer names
 * leave the key `NULL`, which the `q` filter treats as "check the record itself", so search
 * stays exact while the row stays far below the 2 MB row limit.
 */
const MAX_SEARCH_UNITS = 4096;

/**
 * The lower-cased id, `data.name` and `data.symbol` joined by NUL: a superset filter for
 * `GET /api/nodes?q=` (`instr` over the key finds every real match; `nodeMatchesQuery` then
 * drops the rare false positive, such as a match across the separator).
 */
export function searchKey(node: GraphNode): ArrayBuffer | null {
  const { name, symbol } = node.data as { name?: unknown; symbol?: unknown };
  const text = [
    node.id.toLowerCase(),
    typeof name === "string" ? name.toLowerCase() : "",
    typeof symbol === "string" ? symbol.toLowerCase() : "",
  ].join("\u0000");
  return text.length > MAX_SEARCH_UNITS ? null : toKey(text);
}

/** `[id, type, search, body]`, size-checked. */
export function nodeRow(node: GraphNode): SqlValue[] {
  const body = JSON.stringify(node);
  assertRecordFits(body, `node ${JSON.stringify(node.id)}`);
  return [toKey(node.id), toKey(node.type), searchKey(node), body];
}

/** `[id, src, dst, type, strength, body]`, size-checked. */
export function edgeRow(edge: GraphEdge): SqlValue[] {
  const body = JSON.stringify(edge);
  assertRecordFits(body, `edge ${JSON.stringify(edge.id)}`);
  return [toKey(edge.id), toKey(edge.from), toKey(edge.to), toKey(edge.type), edge.strength, body];
}

/** `[id, type, body]`, size-checked. */
export function patternRow(id: string, pattern: Pattern): SqlValue[] {
  const body = JSON.stringify(pattern);
  assertRecordFits(body, `pattern ${JSON.stringify(id)}`);
  return [toKey(id), typeof pattern.type === "string" ? toKey(pattern.type) : null, body];
}

/** A stored JSON body; damage is an `IntegrityError` naming the table. */
export function parseBody<T = JsonObject>(body: SqlValue, table: string): T {
  if (typeof body !== "string") throw new IntegrityError("integrity_error", `${table}: a row has no body`);
  try {
    return JSON.parse(body) as T;
  } catch (cause) {
    throw new IntegrityError("malformed_json", `${table}: a row's body is not valid JSON`, { cause });
  }
}
