import { meterChunks, type ProgressCount } from "../util/progress.ts";
import type { StorageAdapter } from "./adapter.ts";

/**
 * A view of `storage` that counts every byte read through it (`get` bodies, `getStream` chunks
 * as they arrive) and passes everything else straight through. Code that reads through the view
 * reports progress without knowing it: `verify` checks all it checks over one view, a restore
 * reads a backup over another. `close` is left out: the view owns nothing of its own.
 */
export function meterReads(storage: StorageAdapter, count: ProgressCount): StorageAdapter {
  const view: StorageAdapter = {
    kind: storage.kind,
    capabilities: storage.capabilities,
    async get(key) {
      const stored = await storage.get(key);
      if (stored) count(stored.body.length);
      return stored;
    },
    put: (key, body, options) => storage.put(key, body, options),
    delete: (key) => storage.delete(key),
    list: (prefix) => storage.list(prefix),
  };
  if (storage.getStream) {
    const getStream = storage.getStream.bind(storage);
    view.getStream = async (key) => {
      const stream = await getStream(key);
      return stream && meterChunks(stream, count);
    };
  }
  if (storage.putStream) view.putStream = storage.putStream.bind(storage);
  if (storage.append) view.append = storage.append.bind(storage);
  if (storage.openAppendLog) view.openAppendLog = storage.openAppendLog.bind(storage);
  return view;
}

/** The listed size of the object under `key`, or `undefined` when nothing is listed there. */
export async function listedSize(storage: StorageAdapter, key: string): Promise<number | undefined> {
  return (await storage.list(key)).find((o) => o.key === key)?.size;
}
