import { basename, dirname, join, parse, resolve } from "node:path";
import {
  type AppendLog,
  assertValidKey,
  assertValidPrefix,
  DawsosError,
  InvalidIdError,
  type ListedObject,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  type StorageCapabilities,
  StorageError,
  type StoredObject,
  toBytes,
  ValidationError,
} from "@dawsos/core";
import { FsAppendLog } from "./append-log.ts";
import { BodySourceError, type ReplaceBody, replaceFile } from "./atomic-replace.ts";
import { contentEtag } from "./content-etag.ts";
import { createDurably, Directories, isInside } from "./directories.ts";
import { FileChunkStream } from "./file-stream.ts";
import { errnoCode, isMissing, storageFailure } from "./fs-errors.ts";
import { type FsFileHandle, type FsOps, type FsStat, nodeFsOps } from "./fs-ops.ts";
import { KeyedMutex } from "./locks.ts";
import { removeStaleTemps } from "./stale-temps.ts";
import { isTempName } from "./temp-files.ts";
import {
  assertLockWaitMs,
  LOCK_CLAIM_FILE,
  LOCK_FILE,
  type LockWait,
  WriterLock,
  type WriterLockInfo,
} from "./writer-lock.ts";

/** Top-level names the writer lock uses: never stored, listed or removed through keys. */
const LOCK_KEYS: ReadonlySet<string> = new Set([LOCK_FILE, LOCK_CLAIM_FILE]);

export interface FsStorageOptions {
  /** The filesystem to use; tests pass a `FaultyFs`. Defaults to `nodeFsOps`. */
  readonly fs?: FsOps;
  /**
   * Take the directory's single-writer lock (`<root>/.lock`, SPEC §3) before anything else
   * that writes; `LockHeldError` if a live process holds it. Every writer process should pass
   * `true`. Only a locked open removes temp files left by crashed writers: without the lock
   * (read-only tools, inspection) a live writer may own them.
   */
  readonly lock?: boolean;
  /**
   * With `lock`: how long to wait, in ms, for a lock held by another process to be released
   * or for its holder to exit, before `LockHeldError`; `0` refuses at once. Default
   * `LOCK_WAIT_MS` (10 s): a restart often finds the previous writer still stopping.
   */
  readonly lockWaitMs?: number;
  /** With `lock`: told when a wait for the lock starts (and when its holder changes), to log it. */
  readonly onLockWait?: (wait: LockWait) => void;
}

/**
 * The filesystem adapter: each key is a file under the storage root
 * (`backups/20250101_120000/graph.json` → `<root>/backups/20250101_120000/graph.json`).
 *
 * - `put`/`putStream` replace crash-safely (SPEC §3, `replaceFile`): readers see the old or
 *   the new body, never a mix.
 * - `append` is durable (fdatasync) before it resolves; a crash mid-append can leave a torn
 *   tail, which the journal reader drops. `openAppendLog` keeps the file open for a stream of
 *   appends (see `FsAppendLog`, including the contract for replacing its file).
 * - Writes to one key (`put`, `putStream`, `append`, `delete`, the calls of its append log)
 *   run one at a time in call order.
 * - No key reaches outside the root: keys are validated before any fs call, and a symlink
 *   under the root that resolves outside it is refused (`InvalidIdError`). The lock's names
 *   (`.lock`, `.lock.claim`) and temp-file names are reserved.
 * - Etags are content hashes (see `contentEtag`). Conditional writes are not supported: the
 *   directory has a single writer process, enforced by its `.lock` (`open(dir, { lock: true })`).
 * - Failures are `StorageError`s naming the key and errno code, with the Node error as
 *   `cause`; messages never contain host paths.
 */
export class FsStorage implements StorageAdapter {
  readonly kind = "fs";
  readonly capabilities: StorageCapabilities = {
    conditionalWrites: false,
    durableAppend: true,
    atomicReplace: true,
    nativeTtl: false,
    consistency: "strong",
  };
  /** The writer lock this storage holds (`open(dir, { lock: true })`), for logs; else `undefined`. */
  readonly lockInfo: WriterLockInfo | undefined;
  readonly #fs: FsOps;
  readonly #root: string;
  readonly #dirs: Directories;
  readonly #keyLocks = new KeyedMutex();
  readonly #lock: WriterLock | undefined;
  /** The open append log of each key: at most one, so two handles never append to one file. */
  readonly #logs = new Map<string, FsAppendLog>();
  #closing: Promise<void> | undefined;

  private constructor(fs: FsOps, root: string, lock: WriterLock | undefined) {
    this.#fs = fs;
    this.#root = root;
    this.#dirs = new Directories(fs, root);
    this.#lock = lock;
    this.lockInfo = lock?.info;
  }

  /**
   * Opens (creating it if needed) the storage directory `dir`. The root is its real path, so
   * a storage directory reached through a symlink works. With `lock: true`, takes the writer
   * lock and then removes temp files left by crashed writers anywhere under the root (those
   * of live writers are left alone).
   */
  static async open(dir: string, options: FsStorageOptions = {}): Promise<FsStorage> {
    const fs = options.fs ?? nodeFsOps;
    // A bad option is refused before anything is written.
    if (options.lockWaitMs !== undefined) assertLockWaitMs(options.lockWaitMs);
    const absolute = resolve(dir);
    let lock: WriterLock | undefined;
    let root: string;
    try {
      // The one write before the lock: the lock file needs its directory to exist.
      await createDurably(fs, absolute, parse(absolute).root);
      root = await fs.realpath(absolute);
      if (options.lock === true) {
        lock = await WriterLock.acquire(fs, root, { waitMs: options.lockWaitMs, onWait: options.onLockWait });
        // Only under the lock: no other writer can be creating temp files now, except a
        // lockless one, whose files `isStaleTemp` still recognises by their live pid.
        await removeStaleTemps(fs, root);
      }
    } catch (err) {
      await lock?.release().catch(() => undefined);
      if (err instanceof DawsosError) throw err; // LockHeldError
      const code = errnoCode(err);
      throw new StorageError(
        `fs storage could not open its directory${code === undefined ? "" : ` (${code})`}`,
        {
          cause: err,
          details: { code },
        },
      );
    }
    return new FsStorage(fs, root, lock);
  }

  async get(key: string): Promise<StoredObject | null> {
    const path = this.#pathOf(key);
    try {
      const stat = await this.#inspect(key);
      if (stat === null || stat.isDirectory()) return null;
      const body = await this.#fs.readFile(path);
      return { body, etag: contentEtag(body) };
    } catch (err) {
      if (isMissing(err) || errnoCode(err) === "EISDIR") return null;
      throw storageFailure("read", key, err);
    }
  }

  /**
   * The body under `key` as 1 MiB chunks read from one open file (a snapshot: a concurrent
   * replace does not change it), or `null` when missing. Iterate it to the end or stop with
   * `return()` (`break` in `for await`) so the file is closed; see `FileChunkStream`.
   */
  async getStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const path = this.#pathOf(key);
    let handle: FsFileHandle | undefined;
    try {
      const stat = await this.#inspect(key);
      if (stat === null || stat.isDirectory()) return null;
      handle = await this.#fs.open(path, "r");
      // Opening a directory read-only succeeds (a symlink to one passes the lstat above).
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
    } catch (err) {
      await handle?.close().catch(() => undefined);
      if (isMissing(err)) return null;
      throw storageFailure("read", key, err);
    }
    return new FileChunkStream(handle, (err) => storageFailure("read", key, err));
  }

  /**
   * Replaces the body under `key` crash-safely. When this rejects, the previous body is
   * intact and no temp file is left — except if only the final directory fsync failed: then
   * the new body may be visible but is not known to be durable.
   */
  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    if (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) {
      this.#pathOf(key); // an invalid key is reported first, as for every other call
      throw new ValidationError(
        "fs storage does not support conditional writes (capabilities.conditionalWrites)",
      );
    }
    return this.#store(key, [toBytes(body)]);
  }

  /**
   * `put` for a body that arrives in chunks (never held whole; the etag is hashed as it is
   * written). If `body` throws, its error is rethrown unchanged and the previous content is
   * intact; filesystem failures are `StorageError`s.
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<PutResult> {
    return this.#store(key, body);
  }

  /** Appends `body` to `key` (creating it) and fdatasyncs before resolving. */
  async append(key: string, body: Uint8Array | string): Promise<void> {
    this.#pathOf(key);
    this.#assertOpen();
    const bytes = toBytes(body);
    await this.#keyLocks.run(key, async () => {
      this.#logs.get(key)?.detach();
      await this.#openForAppend(key, "a", "append to", async (handle, isNew, dir, close) => {
        await handle.write(bytes);
        await handle.datasync();
        await close();
        // A new file's directory entry is not covered by fdatasync of the file itself.
        if (isNew) await this.#fs.syncDir(dir);
      });
    });
  }

  /**
   * Opens `key` for appending (creating it and its directories) and runs `use` with the handle
   * (and `close`, for a use that is done with it); if anything fails, a handle still open is
   * closed and the error is a `StorageError` naming `what`. Runs under the caller's key lock.
   */
  async #openForAppend<T>(
    key: string,
    flags: "a" | "a+",
    what: string,
    use: (handle: FsFileHandle, isNew: boolean, dir: string, close: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const path = this.#pathOf(key);
    const dir = dirname(path);
    const endWrite = this.#dirs.beginWrite(dir);
    let handle: FsFileHandle | undefined;
    try {
      const isNew = (await this.#inspect(key)) === null;
      await this.#dirs.ensure(dir);
      const opened = await this.#fs.open(path, flags);
      handle = opened;
      return await use(opened, isNew, dir, async () => {
        handle = undefined;
        await opened.close();
      });
    } catch (err) {
      await handle?.close().catch(() => undefined);
      throw storageFailure(what, key, err);
    } finally {
      endWrite();
    }
  }

  /**
   * Opens `key` as an append log on one long-lived handle, creating the file (and its
   * directories, durably) if missing; a new file's directory is fsynced before this resolves,
   * so the first acknowledged append cannot be lost with its directory entry. At most one log
   * per key may be open. See `FsAppendLog` for the write protocol and the contract for
   * replacing the file (close the log, `put`, open a new log).
   */
  async openAppendLog(key: string): Promise<AppendLog> {
    this.#pathOf(key); // refuses a bad key before anything else
    this.#assertOpen();
    return this.#keyLocks.run(key, async () => {
      if (this.#logs.has(key)) {
        throw new StorageError(
          `fs storage append log ${JSON.stringify(key)} is already open; close it first`,
          {
            details: { key },
          },
        );
      }
      return this.#openForAppend(key, "a+", "open the append log", async (handle, isNew, dir) => {
        const { size } = await handle.stat();
        if (isNew) await this.#fs.syncDir(dir);
        const log: FsAppendLog = new FsAppendLog(key, handle, size, {
          serialize: (task) => this.#keyLocks.run(key, task),
          closed: () => {
            if (this.#logs.get(key) === log) this.#logs.delete(key);
          },
        });
        this.#logs.set(key, log);
        return log;
      });
    });
  }

  /**
   * Removes the file under `key` (a directory at `key` is not a stored object: `false`), then
   * the directories it leaves empty, up to but not including the root.
   */
  async delete(key: string): Promise<boolean> {
    const path = this.#pathOf(key);
    this.#assertOpen();
    return this.#keyLocks.run(key, async () => {
      this.#logs.get(key)?.detach();
      const dir = dirname(path);
      try {
        const stat = await this.#inspect(key);
        if (stat === null || stat.isDirectory()) return false;
        await this.#fs.unlink(path);
        await this.#fs.syncDir(dir);
      } catch (err) {
        if (isMissing(err)) return false;
        throw storageFailure("delete", key, err);
      }
      await this.#dirs.removeEmpty(dir);
      return true;
    });
  }

  /**
   * Every regular file whose key starts with `prefix`, sorted by key. Only the subtree the
   * prefix can match is walked; symlinks are not followed; temp files and `.lock` are hidden.
   */
  async list(prefix: string): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf("/");
    const startKey = slash < 0 ? "" : prefix.slice(0, slash);
    const out: ListedObject[] = [];
    try {
      if (!(await this.#isPlainDirectory(startKey))) return [];
      await this.#walk(startKey, prefix, out);
    } catch (err) {
      throw storageFailure("list", prefix, err);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Closes open append logs, waits for writes already called, then releases the writer lock
   * (if held). Later writes reject; reads still work. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const failures: unknown[] = [];
      for (const log of [...this.#logs.values()])
        await log.close().catch((err: unknown) => failures.push(err));
      // The lock must outlive every write it protects.
      await this.#keyLocks.drain();
      await this.#lock
        ?.release()
        .catch((err: unknown) => failures.push(storageFailure("release", LOCK_FILE, err)));
      if (failures.length > 0) throw failures[0];
    })();
    return this.#closing;
  }

  /** The write behind `put` and `putStream`: one crash-safe replace, in the key's queue. */
  async #store(key: string, body: ReplaceBody): Promise<PutResult> {
    const path = this.#pathOf(key);
    this.#assertOpen();
    const etag = await this.#keyLocks.run(key, async () => {
      this.#logs.get(key)?.detach();
      const dir = dirname(path);
      const endWrite = this.#dirs.beginWrite(dir);
      try {
        await this.#inspect(key);
        await this.#dirs.ensure(dir);
        return await replaceFile(this.#fs, path, body);
      } catch (err) {
        if (err instanceof BodySourceError) throw err.original;
        throw storageFailure("write", key, err);
      } finally {
        endWrite();
      }
    });
    return { etag };
  }

  /** Writes after `close` would run without the writer lock: refused. */
  #assertOpen(): void {
    if (this.#closing !== undefined) throw new StorageError("fs storage is closed");
  }

  /** Validates `key` (before any fs call) and maps it to its absolute path. */
  #pathOf(key: string): string {
    assertValidKey(key);
    if (isTempName(basename(key))) {
      throw new InvalidIdError("storage key uses the reserved temp-file name pattern", { details: { key } });
    }
    if (LOCK_KEYS.has(key)) {
      // Written through `put`, it would silently replace (or release) the writer lock.
      throw new InvalidIdError(`storage key ${key} is reserved for the writer lock`, { details: { key } });
    }
    return join(this.#root, ...key.split("/"));
  }

  /**
   * lstats each component of `key` below the root and refuses the key if any of them is a
   * symlink that resolves outside the root (or cannot be resolved: a dangling link could be
   * created through). Resolves to the final component's lstat, or `null` if it is missing.
   */
  async #inspect(key: string): Promise<FsStat | null> {
    let current = this.#root;
    let stat: FsStat | null = null;
    for (const segment of key.split("/")) {
      current = join(current, segment);
      try {
        stat = await this.#fs.lstat(current);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      if (stat.isSymbolicLink()) await this.#assertLinkInside(key, current);
    }
    return stat;
  }

  async #assertLinkInside(key: string, link: string): Promise<void> {
    let target: string | undefined;
    try {
      target = await this.#fs.realpath(link);
    } catch (err) {
      const code = errnoCode(err);
      if (!isMissing(err) && code !== "ELOOP") throw err;
    }
    if (target === undefined || !isInside(this.#root, target)) {
      throw new InvalidIdError("storage key resolves outside the storage root", { details: { key } });
    }
  }

  /** True when `dirKey` ("" for the root) is an existing directory reached without symlinks. */
  async #isPlainDirectory(dirKey: string): Promise<boolean> {
    if (dirKey === "") return true;
    let current = this.#root;
    for (const segment of dirKey.split("/")) {
      current = join(current, segment);
      try {
        const stat = await this.#fs.lstat(current);
        if (!stat.isDirectory()) return false;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    }
    return true;
  }

  async #walk(dirKey: string, prefix: string, out: ListedObject[]): Promise<void> {
    const dir = dirKey === "" ? this.#root : join(this.#root, ...dirKey.split("/"));
    let entries: Awaited<ReturnType<FsOps["readdir"]>>;
    try {
      entries = await this.#fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return; // removed while we walked
      throw err;
    }
    const pending: Promise<void>[] = [];
    for (const entry of entries) {
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        const asDir = `${key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) pending.push(this.#walk(key, prefix, out));
      } else if (entry.isFile() && key.startsWith(prefix) && !LOCK_KEYS.has(key) && !isTempName(entry.name)) {
        pending.push(this.#listFile(key, join(dir, entry.name), out));
      }
    }
    await Promise.all(pending);
  }

  async #listFile(key: string, path: string, out: ListedObject[]): Promise<void> {
    try {
      const stat = await this.#fs.lstat(path);
      if (stat.isFile()) out.push({ key, size: stat.size, modifiedMs: stat.mtimeMs });
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
}
