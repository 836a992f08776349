import { InvalidIdError } from "../errors/errors.ts";

export const MAX_KEY_LENGTH = 1024;

/**
 * Checks a storage key before any adapter builds a path or request from it. A key is a
 * relative `/`-separated path of non-empty segments; `.`/`..` segments, backslashes, NUL and
 * other control characters are refused so no key can escape the storage root.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidIdError("storage key is empty");
  if (key.length > MAX_KEY_LENGTH) throw new InvalidIdError(`storage key longer than ${MAX_KEY_LENGTH}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new InvalidIdError("storage key contains a control character or backslash", { details: { key } });
  }
  if (key.startsWith("/")) throw new InvalidIdError("storage key is absolute", { details: { key } });
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new InvalidIdError("storage key has an empty, '.' or '..' segment", { details: { key } });
    }
  }
}

/** Prefixes for `list` may be empty or end mid-segment, but follow the same character rules. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === "") return;
  assertValidKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}

/**
 * Checks an adapter's key prefix (`tenant-a/`): empty, or valid key characters ending in `/`.
 * `adapter` names the adapter in the error. Returns the prefix.
 */
export function checkedKeyPrefix(prefix: string | undefined, adapter: string): string {
  const value = prefix ?? "";
  if (value === "") return value;
  if (!value.endsWith("/")) throw new InvalidIdError(`a ${adapter} prefix must end with '/'`);
  assertValidPrefix(value);
  return value;
}
