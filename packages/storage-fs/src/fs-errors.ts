import { DawsosError, StorageError } from "@dawsos/core";

/** The errno code (`"ENOENT"`, `"EIO"`, …) of a Node.js system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** "Nothing there": the path or one of its parents does not exist (or a parent is a file). */
export function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * Wraps a filesystem failure as a `StorageError` that names the storage key and the errno
 * code but never a host path: Node's own messages embed absolute paths, so they stay in
 * `cause` (for logs and for `cause.code`) and out of `message`, which may reach HTTP clients.
 * Our own typed errors (a refused key) pass through unchanged.
 */
export function storageFailure(action: string, key: string, cause: unknown): DawsosError {
  if (cause instanceof DawsosError) return cause;
  const code = errnoCode(cause);
  const suffix = code === undefined ? "" : ` (${code})`;
  return new StorageError(`fs storage could not ${action} ${JSON.stringify(key)}${suffix}`, {
    cause,
    details: { key, code },
  });
}
