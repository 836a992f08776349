import { DawsosError, StorageError } from "@dawsos/core";

/** R2 failures become `StorageError`s naming the operation and key (never the bucket's internals). */
export async function wrap<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof DawsosError) throw cause;
    throw new StorageError(`r2 ${op} ${key} failed`, { cause });
  }
}
