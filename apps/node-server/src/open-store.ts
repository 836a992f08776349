import { readFile } from "node:fs/promises";
import {
  type ChangeRetention,
  type ChangeSource,
  GraphStore,
  type OnProgress,
  type StoreEvent,
} from "@dawsos/core";
import { FsStorage, type LockWait, nodeSha256 } from "@dawsos/storage-fs";

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

/** One JSON line on stderr when a starting writer waits for the lock's holder (it names its pid). */
export function logLockWait(wait: LockWait): void {
  process.stderr.write(
    `${JSON.stringify({ at: new Date().toISOString(), event: "lock_wait", message: wait.message, pid: wait.holder?.pid ?? null, host: wait.holder?.host ?? null, wait_ms: wait.waitMs })}\n`,
  );
}

/**
 * Opens a storage directory for the server or a CLI command. Writers take the directory's
 * lock, waiting up to `lockWaitMs` for a live holder (a restart finds the previous server
 * still stopping); then a second writer gets `lock_held` naming the holder. Readers take no lock.
 */
export async function openStore(
  dir: string,
  options: {
    write: boolean;
    seedFile?: string | undefined;
    onEvent?: (e: StoreEvent) => void;
    /** Progress of the long steps (the CLI's bars); see `GraphStoreOptions.onProgress`. */
    onProgress?: OnProgress;
    /** Default `LOCK_WAIT_MS` (10 s). */
    lockWaitMs?: number;
    onLockWait?: (wait: LockWait) => void;
    /** Recorded with commits that name no source: `api` for the server, `cli` for the CLI. */
    source?: ChangeSource;
    changeRetention?: ChangeRetention;
  },
): Promise<OpenedStore> {
  let seed: unknown;
  if (options.seedFile) {
    try {
      seed = JSON.parse(await readFile(options.seedFile, "utf8"));
    } catch (err) {
      throw new Error(`DAWSOS_SEED ${options.seedFile}: ${(err as Error).message}`);
    }
  }
  const storage = await FsStorage.open(dir, {
    lock: options.write,
    lockWaitMs: options.lockWaitMs,
    onLockWait: options.onLockWait ?? logLockWait,
  });
  try {
    const store = await GraphStore.open(storage, {
      seed,
      hasher: nodeSha256,
      readOnly: !options.write,
      source: options.source,
      changeRetention: options.changeRetention,
      onEvent: options.onEvent ?? logEvent,
      onProgress: options.onProgress,
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
