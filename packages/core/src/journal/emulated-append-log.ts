import type { AppendLog, StorageAdapter } from "../storage/adapter.ts";
import { Mutex } from "../util/mutex.ts";

/**
 * An `AppendLog` for adapters without a native one: keeps the log's bytes in memory and
 * rewrites the whole object on every append (`put` is atomic, so each append is all or
 * nothing). Cost grows with the journal, which compaction keeps small; adapters with a real
 * append (the filesystem) never use this.
 */
export async function emulatedAppendLog(storage: StorageAdapter, key: string): Promise<AppendLog> {
  let bytes = (await storage.get(key))?.body ?? new Uint8Array(0);
  const lock = new Mutex();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => lock.run(fn);
  return {
    get size() {
      return bytes.length;
    },
    append(add) {
      return serial(async () => {
        const next = new Uint8Array(bytes.length + add.length);
        next.set(bytes, 0);
        next.set(add, bytes.length);
        await storage.put(key, next);
        bytes = next;
      });
    },
    async sync() {},
    truncate(size) {
      return serial(async () => {
        const next = bytes.slice(0, size);
        await storage.put(key, next);
        bytes = next;
      });
    },
    async close() {},
  };
}
