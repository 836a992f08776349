import { ValidationError } from "../errors/errors.ts";

/**
 * Containers deeper than this are refused instead of recursed into. Stored values nest at most
 * 64 levels (`MAX_NESTING_DEPTH`) inside a document a few levels deep, so this only stops hostile
 * input (a submitted document checked before validation) from overflowing the stack.
 */
export const CANONICAL_MAX_DEPTH = 256;

/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation.
 *
 * ECMAScript's own number and string serialisation is what RFC 8785 prescribes, so
 * `JSON.stringify` does the leaf work; we only sort object keys (by UTF-16 code units, which
 * is the default JS string order) and reject values JSON cannot represent.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonical(value, parts);
  return parts.join("");
}

/** Appends the canonical form of `value` to `out`; lets callers stream large documents. */
export function writeCanonical(value: unknown, out: string[], depth = 0): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      out.push(JSON.stringify(value));
      return;
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
  }
  if (depth >= CANONICAL_MAX_DEPTH) {
    throw new ValidationError(`value nests deeper than ${CANONICAL_MAX_DEPTH} levels`, {
      details: { field: "(document)" },
    });
  }
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      // JSON.stringify turns holes and undefined in arrays into null; so do we.
      const item = value[i];
      writeCanonical(item === undefined || typeof item === "function" ? null : item, out, depth + 1);
    }
    out.push("]");
    return;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  out.push("{");
  let first = true;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(key), ":");
    writeCanonical(item, out, depth + 1);
  }
  out.push("}");
}
