import type { JsonObject, JsonValue } from "../api/types.ts";

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sets an own property even for a key such as `__proto__` (plain assignment would not). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * RFC 7396 JSON merge patch, as the server applies a `patch_node` change (`mergePatch` in
 * packages/core/src/graph/merge-patch.ts): `null` removes a key, objects merge recursively,
 * anything else replaces. Returns a new object; `target` is left as it was.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(target)) setOwn(result, key, target[key]!);
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) delete result[key];
    else if (isObject(value)) {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setOwn(result, key, mergePatch(isObject(current) ? current : {}, value));
    } else setOwn(result, key, value);
  }
  return result;
}
