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
 *
 * Speed (every snapshot, version and ETag goes through here): a subtree that is already
 * canonical in shape — plain objects whose keys are in sorted order, plain arrays, finite
 * numbers, strings, booleans, null — serialises exactly as `JSON.stringify` writes it, so it
 * is handed to the native serialiser whole. A graph read back from a snapshot is in that shape
 * (JSON.parse keeps the file's sorted key order). Other subtrees are built by concatenation
 * (V8 ropes), not by pushing tokens into an array.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, 0);
}

/** Appends the canonical form of `value` to `out`; lets callers stream large documents. */
export function writeCanonical(value: unknown, out: string[], depth = 0): void {
  out.push(canonical(value, depth));
}

function canonical(value: unknown, depth: number): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
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
  if (inCanonicalShape(value, depth)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ",";
      // JSON.stringify turns holes and undefined in arrays into null; so do we.
      const item = value[i];
      text += canonical(item === undefined || typeof item === "function" ? null : item, depth + 1);
    }
    return `${text}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  const sorted = sortedShallowCopy(obj, keys, depth);
  if (sorted !== null) return JSON.stringify(sorted);
  let text = "{";
  let first = true;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (!first) text += ",";
    first = false;
    text += `${JSON.stringify(key)}:${canonical(item, depth + 1)}`;
  }
  return `${text}}`;
}

/**
 * The common case of a record whose own keys are out of order but whose members are each in
 * canonical shape (an edge, a node's `data`): the same members inserted in sorted order, for
 * the native serialiser. `null` when some member needs the slow path, for a `__proto__` key
 * (assigning it would set the copy's prototype instead of a member), or for a key that starts
 * with a digit (an array-index key is enumerated before the others, whatever the insertion order).
 */
function sortedShallowCopy(
  obj: Record<string, unknown>,
  sortedKeys: readonly string[],
  depth: number,
): Record<string, unknown> | null {
  const copy: Record<string, unknown> = {};
  for (const key of sortedKeys) {
    const item = obj[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (key === "__proto__" || isIndexLike(key) || !inCanonicalShape(item, depth + 1)) return null;
    copy[key] = item;
  }
  return copy;
}

function isIndexLike(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/**
 * True when `JSON.stringify(value)` is already its canonical form: only plain objects with
 * keys in ascending code-unit order (and no `undefined`, function or symbol members, which
 * both writers skip but whose handling is best left to the slow path), plain arrays without
 * holes, finite numbers, strings, booleans and null, within the depth bound. Returns at the
 * first disagreement, so a subtree that is not in shape costs little to reject.
 */
function inCanonicalShape(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (depth >= CANONICAL_MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !inCanonicalShape(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  for (const key of keys) if (!inCanonicalShape(obj[key], depth + 1)) return false;
  return true;
}

/**
 * `value` with the keys of every plain object in canonical (RFC 8785) order: the value itself
 * when it already is, else a copy that shares every subtree already in order. A graph loaded
 * from another format (the seed, a Python file, an imported document) is stored this way, so
 * each later snapshot of it is one native `JSON.stringify` per record instead of the slow path
 * (the 100k seed wrote two documents through it). Objects with array-index keys (which JS
 * always enumerates first) or other prototypes, holes, and nesting past the depth bound are
 * kept as they are: validation or the slow path deals with them.
 */
export function canonicallyOrdered<T>(value: T): T {
  return ordered(value, 0) as T;
}

function ordered(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth >= CANONICAL_MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return value;
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return value;
      const item = ordered(value[i], depth + 1);
      if (item !== value[i] && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(item);
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! < keys[i]!)) {
      inOrder = false;
      break;
    }
  }
  const members = new Array<unknown>(keys.length);
  let changed = !inOrder;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (isIndexLike(key)) return value;
    const item = obj[key];
    members[i] = ordered(item, depth + 1);
    if (members[i] !== item) changed = true;
  }
  if (!changed) return value;
  const order = keys.map((_, i) => i);
  if (!inOrder) order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
  for (const i of order) {
    const key = keys[i]!;
    // defineProperty: plain assignment of `__proto__` would set the copy's prototype.
    if (key === "__proto__")
      Object.defineProperty(copy, key, {
        value: members[i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = members[i];
  }
  return copy;
}

/**
 * A plain object with the members of `source` (minus `skip`) and of `overrides`, which win,
 * in canonical key order, each value `canonicallyOrdered`: how the loader builds a record
 * from another format in one step. `source` keeps a `__proto__` key as plain data.
 */
export function canonicalRecord(
  source: Record<string, unknown>,
  overrides: Record<string, unknown>,
  skip: readonly string[] = [],
): Record<string, unknown> {
  const keys: string[] = [];
  for (const key of Object.keys(source)) {
    if (!Object.hasOwn(overrides, key) && !skip.includes(key) && source[key] !== undefined) keys.push(key);
  }
  for (const key of Object.keys(overrides)) if (overrides[key] !== undefined) keys.push(key);
  keys.sort();
  const record: Record<string, unknown> = {};
  for (const key of keys) {
    const value = ordered(Object.hasOwn(overrides, key) ? overrides[key] : source[key], 1);
    if (key === "__proto__")
      Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
    else record[key] = value;
  }
  return record;
}
