/**
 * JSON text of `value` in pieces, one entry per line for the top two levels of objects and
 * arrays, so documents whose JSON exceeds V8's maximum string length (a 1M-node seed) can
 * still be written. Each piece is small; the concatenation is valid JSON.
 */
export function* jsonChunks(value: unknown, depth = 2): Generator<string> {
  if (depth === 0 || value === null || typeof value !== "object") {
    yield JSON.stringify(value) ?? "null";
    return;
  }
  const isArray = Array.isArray(value);
  yield isArray ? "[" : "{";
  let first = true;
  const entries: Iterable<[string | null, unknown]> = isArray
    ? (value as unknown[]).map((v) => [null, v] as [null, unknown])
    : Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]] as [string, unknown]);
  for (const [key, item] of entries) {
    if (item === undefined && key !== null) continue;
    yield `${first ? "\n" : ",\n"}${key === null ? "" : `${JSON.stringify(key)}:`}`;
    yield* jsonChunks(item, depth - 1);
    first = false;
  }
  yield isArray ? "\n]" : "\n}";
}
