import { readFile } from "node:fs/promises";
import { GraphStore, type StoreEvent } from "@dawsos/core";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";

export interface OpenedStore {
  storage: FsStorage;
  store: GraphStore;
  /** Flushes, folds the journal, releases the lock. */
  close(): Promise<void>;
}

/** One JSON line per store event (recovery, compaction, backups…) on stderr. */
export function logEvent(event: StoreEvent): void {
  const { type, ...rest } = event;
  const detail = "error" in rest ? { error: String((rest as { error: unknown }).error) } : rest;
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), event: type, ...detail })}\n`);
}

/**
 * Opens a storage directory for the server or a CLI command. Writers take the directory's
 * lock (a second writer gets `lock_held` naming the holder); readers do not.
 */
export async function openStore(
  dir: string,
  options: { write: boolean; seedFile?: string | undefined; onEvent?: (e: StoreEvent) => void },
): Promise<OpenedStore> {
  let seed: unknown;
  if (options.seedFile) {
    try {
      seed = JSON.parse(await readFile(options.seedFile, "utf8"));
    } catch (err) {
      throw new Error(`DAWSOS_SEED ${options.seedFile}: ${(err as Error).message}`);
    }
  }
  const storage = await FsStorage.open(dir, { lock: options.write });
  try {
    const store = await GraphStore.open(storage, {
      seed,
      hasher: nodeSha256,
      readOnly: !options.write,
      onEvent: options.onEvent ?? logEvent,
    });
    return {
      storage,
      store,
      close: async () => {
        try {
          await store.close();
        } finally {
          await storage.close();
        }
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
