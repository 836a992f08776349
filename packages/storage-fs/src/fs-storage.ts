import { basename, dirname, join, parse, resolve } from "node:path";
import {
  assertValidKey,
  assertValidPrefix,
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
import { contentEtag } from "./content-etag.ts";
import { createDurably, Directories, isInside } from "./directories.ts";
import { errnoCode, isMissing, storageFailure } from "./fs-errors.ts";
import { type FsFileHandle, type FsOps, type FsStat, nodeFsOps } from "./fs-ops.ts";
import { KeyedMutex } from "./locks.ts";
import { removeStaleTemps } from "./stale-temps.ts";
import { isTempName, tempNameFor, trackTemp } from "./temp-files.ts";

export interface FsStorageOptions {
  /** The filesystem to use; tests pass a `FaultyFs`. Defaults to `nodeFsOps`. */
  readonly fs?: FsOps;
}

/** The writer lock of a storage directory (SPEC §3); managed elsewhere, never listed. */
const LOCK_KEY = ".lock";

/**
 * The filesystem adapter: each key is a file under the storage root
 * (`backups/20250101_120000/graph.json` → `<root>/backups/20250101_120000/graph.json`).
 *
 * - `put` replaces crash-safely (SPEC §3): temp file in the same directory, write, fsync,
 *   close, rename over the target, fsync the directory. Readers see the old or the new body.
 * - `append` is durable (fdatasync) before it resolves; a crash mid-append can leave a torn
 *   tail, which the journal reader drops.
 * - Writes to one key (`put`, `append`, `delete`) run one at a time in call order.
 * - No key reaches outside the root: keys are validated before any fs call, and a symlink
 *   under the root that resolves outside it is refused (`InvalidIdError`).
 * - Etags are content hashes (see `contentEtag`). Conditional writes are not supported: the
 *   directory has a single writer process, enforced by its `.lock`.
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
  readonly #fs: FsOps;
  readonly #root: string;
  readonly #dirs: Directories;
  readonly #keyLocks = new KeyedMutex();

  private constructor(fs: FsOps, root: string) {
    this.#fs = fs;
    this.#root = root;
    this.#dirs = new Directories(fs, root);
  }

  /**
   * Opens (creating it if needed) the storage directory `dir`. The root is its real path, so
   * a storage directory reached through a symlink works. Temp files left by crashed writers
   * anywhere under it are removed; those of live writers are left alone.
   */
  static async open(dir: string, options: FsStorageOptions = {}): Promise<FsStorage> {
    const fs = options.fs ?? nodeFsOps;
    const absolute = resolve(dir);
    let root: string;
    try {
      await createDurably(fs, absolute, parse(absolute).root);
      root = await fs.realpath(absolute);
      await removeStaleTemps(fs, root);
    } catch (err) {
      const code = errnoCode(err);
      throw new StorageError(
        `fs storage could not open its directory${code === undefined ? "" : ` (${code})`}`,
        {
          cause: err,
          details: { code },
        },
      );
    }
    return new FsStorage(fs, root);
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
   * Replaces the body under `key` crash-safely. When this rejects, the previous body is
   * intact and no temp file is left — except if only the final directory fsync failed: then
   * the new body may be visible but is not known to be durable.
   */
  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const path = this.#pathOf(key);
    if (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) {
      throw new ValidationError(
        "fs storage does not support conditional writes (capabilities.conditionalWrites)",
      );
    }
    const bytes = toBytes(body);
    const etag = contentEtag(bytes);
    await this.#keyLocks.run(key, async () => {
      const dir = dirname(path);
      const endWrite = this.#dirs.beginWrite(dir);
      try {
        await this.#inspect(key);
        await this.#dirs.ensure(dir);
        await this.#replace(path, dir, bytes);
      } catch (err) {
        throw storageFailure("write", key, err);
      } finally {
        endWrite();
      }
    });
    return { etag };
  }

  /** Appends `body` to `key` (creating it) and fdatasyncs before resolving. */
  async append(key: string, body: Uint8Array | string): Promise<void> {
    const path = this.#pathOf(key);
    const bytes = toBytes(body);
    await this.#keyLocks.run(key, async () => {
      const dir = dirname(path);
      const endWrite = this.#dirs.beginWrite(dir);
      let handle: FsFileHandle | undefined;
      try {
        const isNew = (await this.#inspect(key)) === null;
        await this.#dirs.ensure(dir);
        handle = await this.#fs.open(path, "a");
        await handle.write(bytes);
        await handle.datasync();
        const opened = handle;
        handle = undefined;
        await opened.close();
        // A new file's directory entry is not covered by fdatasync of the file itself.
        if (isNew) await this.#fs.syncDir(dir);
      } catch (err) {
        await handle?.close().catch(() => undefined);
        throw storageFailure("append to", key, err);
      } finally {
        endWrite();
      }
    });
  }

  /**
   * Removes the file under `key` (a directory at `key` is not a stored object: `false`), then
   * the directories it leaves empty, up to but not including the root.
   */
  async delete(key: string): Promise<boolean> {
    const path = this.#pathOf(key);
    return this.#keyLocks.run(key, async () => {
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

  /** Nothing to release: every operation closes its own handles. Safe to call twice. */
  async close(): Promise<void> {}

  /** Write to a unique temp file beside the target, fsync, close, rename, fsync the directory. */
  async #replace(path: string, dir: string, bytes: Uint8Array): Promise<void> {
    const temp = join(dir, tempNameFor(basename(path)));
    const untrack = trackTemp(temp);
    let handle: FsFileHandle | undefined;
    let tempExists = false;
    try {
      handle = await this.#fs.open(temp, "wx");
      tempExists = true;
      await handle.write(bytes);
      await handle.sync();
      const opened = handle;
      handle = undefined;
      await opened.close();
      await this.#fs.rename(temp, path);
      tempExists = false;
      await this.#fs.syncDir(dir);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      if (tempExists) await this.#fs.unlink(temp).catch(() => undefined);
      throw err;
    } finally {
      untrack();
    }
  }

  /** Validates `key` (before any fs call) and maps it to its absolute path. */
  #pathOf(key: string): string {
    assertValidKey(key);
    if (isTempName(basename(key))) {
      throw new InvalidIdError("storage key uses the reserved temp-file name pattern", { details: { key } });
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
      } else if (entry.isFile() && key.startsWith(prefix) && key !== LOCK_KEY && !isTempName(entry.name)) {
        pending.push(this.#listFile(key, join(dir, entry.name), out));
      }
    }
    await Promise.all(pending);
  }

  async #listFile(key: string, path: string, out: ListedObject[]): Promise<void> {
    try {
      const stat = await this.#fs.lstat(path);
      if (stat.isFile()) out.push({ key, size: stat.size });
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
}
