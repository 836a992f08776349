import type { JsonObject } from "./types.ts";

export function isPlainObject(value: unknown): value is JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own data property even for keys such as `__proto__` (plain assignment would not). */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * RFC 7396 JSON merge patch, returning a new object (the target is not modified, so the
 * previous version stays intact for undo): `null` removes a key, objects merge recursively,
 * anything else replaces.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(target)) setOwn(result, key, target[key]);
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else if (isPlainObject(value)) {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setOwn(result, key, mergePatch(isPlainObject(current) ? current : {}, value));
    } else {
      setOwn(result, key, value);
    }
  }
  return result;
}
