import { constants as fsConstants } from "node:fs";
import * as fsp from "node:fs/promises";

/**
 * How `FsOps.open` may open a file — exactly the `fopen`-style flags this package needs:
 * - `"wx"`: create exclusively for writing (temp files of a replace, the `.lock` file);
 * - `"a"`: append, creating if missing (one-shot `FsStorage.append`);
 * - `"a+"`: append and read, creating if missing (the long-lived journal handle of an
 *   `AppendLog`; O_APPEND still allows `ftruncate`);
 * - `"r"`: read only.
 */
export type OpenFlags = "wx" | "a" | "a+" | "r";

/**
 * The filesystem operations `FsStorage` uses, and nothing more. Injectable so tests can wrap
 * it (see `FaultyFs`) to record the exact syscall order and to inject EIO/ENOSPC faults,
 * which is how crash safety is proven rather than read off the code.
 */
export interface FsOps {
  /** Opens a regular file; see `OpenFlags`. */
  open(path: string, flags: OpenFlags): Promise<FsFileHandle>;
  /** Reads a whole file from a single open file description (so a concurrent rename cannot tear it). */
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  /** link(2): a second name for `existing`; fails with EEXIST rather than replace `newPath`. */
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates `path` and missing parents; resolves to the first directory created, or `undefined`. */
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  readdir(path: string, options: { withFileTypes: true }): Promise<FsDirEntry[]>;
  /** Stats `path` without following a final symlink. */
  lstat(path: string): Promise<FsStat>;
  realpath(path: string): Promise<string>;
  /** Makes the entries of directory `path` durable: open it read-only, fsync, close. */
  syncDir(path: string): Promise<void>;
}

/** An open file. `write` writes every byte (looping over short writes) before resolving. */
export interface FsFileHandle {
  /**
   * Writes all of `bytes` at the current file position (at the end of file for handles
   * opened with `"a"`/`"a+"`: O_APPEND).
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Reads up to `buffer.length` bytes into `buffer`, at `position` or else at the current file
   * position. Resolves to the number of bytes read: 0 at end of file.
   */
  read(buffer: Uint8Array, position?: number): Promise<number>;
  /** fstat(2) of the open file. */
  stat(): Promise<FsStat>;
  /** ftruncate(2): cuts (or zero-extends) the file to `length` bytes. Not durable by itself. */
  truncate(length: number): Promise<void>;
  /** fsync(2): data and all metadata. */
  sync(): Promise<void>;
  /** fdatasync(2): data and the metadata needed to read it back (size), not timestamps. */
  datasync(): Promise<void>;
  /**
   * `write` and then `datasync` as one step, when the handle can do it cheaper: a handle opened
   * `"a+"` by `nodeFsOps` writes through a second descriptor of the same file opened with
   * O_DSYNC, so a durable append is one write(2) that returns once its bytes (and the size
   * needed to read them back) are on disk — the same guarantee as write + fdatasync, one
   * syscall and one thread-pool round trip fewer (the journal's group commit does one per
   * group). O_DSYNC makes only the bytes of that write durable, not earlier unsynced writes
   * through the other descriptor: callers that mix use `datasync` for those. Optional:
   * wrappers without it get write + datasync.
   */
  writeDurably?(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface FsDirEntry {
  readonly name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export interface FsStat {
  readonly size: number;
  /** Inode number: with `mtimeMs`, tells one lock file from a later one at the same path. */
  readonly ino: number;
  readonly mtimeMs: number;
  /** Status change time: also moves when a hard link to the file is made or removed. */
  readonly ctimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** Writes all of `bytes` (FileHandle.write may write fewer than asked; no write may be short). */
async function writeAll(handle: fsp.FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

/**
 * The O_DSYNC twin of an `"a+"` handle (see `FsFileHandle.writeDurably`): opened on the same
 * path without O_CREAT, then checked to be the same file (device and inode), so a file renamed
 * or replaced meanwhile is an error instead of a journal split across two files. Both
 * descriptors append (O_APPEND), so either writes at the end of the file as it is.
 */
async function openDsyncTwin(path: string, handle: fsp.FileHandle): Promise<fsp.FileHandle> {
  const { O_WRONLY, O_APPEND, O_DSYNC } = fsConstants;
  const twin = await fsp.open(path, O_WRONLY | O_APPEND | O_DSYNC);
  try {
    const [a, b] = await Promise.all([handle.stat(), twin.stat()]);
    if (a.dev !== b.dev || a.ino !== b.ino) {
      throw Object.assign(new Error(`ESTALE: ${path} was replaced while it was open`), {
        code: "ESTALE",
        syscall: "open",
        path,
      });
    }
    return twin;
  } catch (err) {
    await twin.close();
    throw err;
  }
}

/**
 * `writeDurably` for an `"a+"` handle, its O_DSYNC twin opened on first use: a log that is
 * opened for one append to a non-empty file (a session's message log) never uses it, and so
 * never pays for a second open.
 */
function durableWriter(path: string, handle: fsp.FileHandle) {
  let twin: Promise<fsp.FileHandle> | undefined;
  return {
    async writeDurably(bytes: Uint8Array): Promise<void> {
      twin ??= openDsyncTwin(path, handle);
      let opened: fsp.FileHandle;
      try {
        opened = await twin;
      } catch (err) {
        twin = undefined; // the next call tries again
        throw err;
      }
      await writeAll(opened, bytes);
    },
    async close(): Promise<void> {
      const opened = await twin?.catch(() => undefined);
      await opened?.close();
    },
  };
}

function wrapHandle(handle: fsp.FileHandle, path: string, flags: OpenFlags): FsFileHandle {
  // No O_DSYNC (Windows): write + datasync, as for every other handle.
  const durable = flags === "a+" && fsConstants.O_DSYNC !== undefined ? durableWriter(path, handle) : null;
  return {
    write: (bytes) => writeAll(handle, bytes),
    async read(buffer, position) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position ?? null);
      return bytesRead;
    },
    stat: () => handle.stat(),
    truncate: (length) => handle.truncate(length),
    sync: () => handle.sync(),
    datasync: () => handle.datasync(),
    ...(durable ? { writeDurably: durable.writeDurably } : {}),
    async close() {
      try {
        await durable?.close();
      } finally {
        await handle.close();
      }
    },
  };
}

/** `FsOps` over `node:fs/promises`: the real thing. */
export const nodeFsOps: FsOps = {
  async open(path, flags) {
    return wrapHandle(await fsp.open(path, flags), path, flags);
  },
  async readFile(path) {
    const buffer = await fsp.readFile(path);
    // A plain Uint8Array view (no copy): callers compare bodies structurally, and a Buffer
    // is a different class to `toEqual`.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  unlink: (path) => fsp.unlink(path),
  mkdir: (path, options) => fsp.mkdir(path, options),
  rmdir: (path) => fsp.rmdir(path),
  readdir: (path, options) => fsp.readdir(path, options),
  lstat: (path) => fsp.lstat(path),
  realpath: (path) => fsp.realpath(path),
  async syncDir(path) {
    const handle = await fsp.open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
