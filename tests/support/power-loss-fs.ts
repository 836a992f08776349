/**
 * An in-memory `FsOps` that models what a power loss can leave of a disk with a page cache,
 * in the worst case the kernel allows:
 *
 * - every file has `data` (what reads see now) and `durable` bytes (as of its last
 *   fsync/fdatasync): writes and truncates change only `data` until the file is synced;
 * - every directory has `entries` (what lookups see now) and `durableEntries` (as of its last
 *   directory fsync): create, rename, link, unlink, mkdir and rmdir change only `entries` until
 *   the directory itself is fsynced — a new file's name is not durable when the file's own data
 *   is, and a rename without a directory fsync may be undone.
 *
 * Every operation is recorded in `log`, in call order. `crashImage()` is the state a power loss
 * *right now* would leave: walk `durableEntries` from the root; each file reverts to its
 * durable bytes (`"lost"`), or keeps the first half of its unsynced appended bytes (`"half"`: a
 * torn append), or has them replaced by NULs (`"zeros"`: the size reached the disk but the data
 * did not — ext4 `data=writeback`). Renames whose directory was not fsynced are undone, unsynced
 * creates disappear, unsynced unlinks reappear. `afterOp` lets a test take an image after every
 * operation, i.e. for every crash point k.
 *
 * `ignore` makes a chosen sync a no-op (it still succeeds): the broken disks the meta-tests use
 * to prove that a missing fsync in the product would be caught.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { posix } from "node:path";
import type { FsDirEntry, FsFileHandle, FsOps, FsStat, OpenFlags } from "@dawsos/storage-fs";

export type CrashVariant = "lost" | "half" | "zeros";
export const CRASH_VARIANTS: readonly CrashVariant[] = ["lost", "half", "zeros"];

/** Which syncs a broken disk ignores. */
export type SyncKind = "fsync" | "fdatasync" | "dirsync";

export interface PowerLossLogEntry {
  readonly op: string;
  readonly path: string;
  readonly to?: string;
  /** Whether the operation can change what a crash leaves (reads cannot). */
  readonly mutates: boolean;
}

/** A crash image: relative path → file bytes, or `null` for a directory. Sorted by path. */
export type CrashImage = ReadonlyMap<string, Uint8Array | null>;

interface FileNode {
  readonly kind: "file";
  readonly ino: number;
  data: Uint8Array;
  durable: Uint8Array;
  mtimeMs: number;
  ctimeMs: number;
}

interface DirNode {
  readonly kind: "dir";
  readonly ino: number;
  entries: Map<string, Node>;
  durableEntries: Map<string, Node>;
  mtimeMs: number;
  ctimeMs: number;
}

type Node = FileNode | DirNode;

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export class PowerLossFs implements FsOps {
  readonly log: PowerLossLogEntry[] = [];
  /** Called after each operation has taken effect, with its 1-based index in `log`. */
  afterOp: ((index: number, entry: PowerLossLogEntry) => void) | undefined;
  /** Called when an operation starts, before it takes effect (to start concurrent work at a chosen point). */
  beforeOp: ((op: string, path: string) => void) | undefined;
  /** Syncs this disk silently ignores (mutable: a test may break a disk from some point on). */
  readonly ignore: Set<SyncKind>;
  readonly #root: DirNode;
  #nextIno = 1;

  constructor(options: { ignore?: readonly SyncKind[] } = {}) {
    this.ignore = new Set(options.ignore ?? []);
    this.#root = this.#newDir();
    // The root of the disk exists durably (it is the mount point).
  }

  // ------------------------------------------------------------------ model

  #newDir(): DirNode {
    const now = Date.now();
    return {
      kind: "dir",
      ino: this.#nextIno++,
      entries: new Map(),
      durableEntries: new Map(),
      mtimeMs: now,
      ctimeMs: now,
    };
  }

  #newFile(): FileNode {
    const now = Date.now();
    const empty = new Uint8Array(0);
    return { kind: "file", ino: this.#nextIno++, data: empty, durable: empty, mtimeMs: now, ctimeMs: now };
  }

  #segments(path: string): string[] {
    const normal = posix.normalize(path);
    if (!posix.isAbsolute(normal)) throw errno("EINVAL", "resolve", path);
    return normal.split("/").filter((s) => s !== "");
  }

  #lookup(path: string, syscall: string): Node {
    let node: Node = this.#root;
    for (const segment of this.#segments(path)) {
      if (node.kind !== "dir") throw errno("ENOTDIR", syscall, path);
      const next = node.entries.get(segment);
      if (next === undefined) throw errno("ENOENT", syscall, path);
      node = next;
    }
    return node;
  }

  #find(path: string): Node | undefined {
    try {
      return this.#lookup(path, "lookup");
    } catch {
      return undefined;
    }
  }

  /** The parent directory of `path` and the last name. */
  #parent(path: string, syscall: string): { dir: DirNode; name: string } {
    const segments = this.#segments(path);
    const name = segments.pop();
    if (name === undefined) throw errno("EINVAL", syscall, path);
    const dir = this.#lookup(`/${segments.join("/")}`, syscall);
    if (dir.kind !== "dir") throw errno("ENOTDIR", syscall, path);
    return { dir, name };
  }

  #record(op: string, path: string, mutates: boolean, to?: string): void {
    const entry: PowerLossLogEntry = to === undefined ? { op, path, mutates } : { op, path, to, mutates };
    this.log.push(entry);
    this.afterOp?.(this.log.length, entry);
  }

  /** Runs an operation: `beforeOp`, its effect, then records it (and `afterOp`) if it succeeded. */
  async #op<T>(op: string, path: string, mutates: boolean, effect: () => T, to?: string): Promise<T> {
    this.beforeOp?.(op, path);
    await Promise.resolve(); // asynchronous like a real fs: callers interleave at every operation
    const result = effect();
    this.#record(op, path, mutates, to);
    return result;
  }

  #stat(node: Node): FsStat {
    return {
      size: node.kind === "file" ? node.data.length : 4096,
      ino: node.ino,
      mtimeMs: node.mtimeMs,
      ctimeMs: node.ctimeMs,
      isFile: () => node.kind === "file",
      isDirectory: () => node.kind === "dir",
      isSymbolicLink: () => false,
    };
  }

  #touch(node: Node): void {
    node.mtimeMs = Date.now();
    node.ctimeMs = node.mtimeMs;
  }

  // ------------------------------------------------------------------ FsOps

  open(path: string, flags: OpenFlags): Promise<FsFileHandle> {
    return this.#op("open", path, flags !== "r", () => {
      let node = this.#find(path);
      if (flags === "wx" && node !== undefined) throw errno("EEXIST", "open", path);
      if (node === undefined) {
        if (flags === "r") throw errno("ENOENT", "open", path);
        const { dir, name } = this.#parent(path, "open");
        node = this.#newFile();
        dir.entries.set(name, node);
        this.#touch(dir);
      } else if (node.kind === "dir" && flags !== "r") {
        throw errno("EISDIR", "open", path);
      }
      return this.#handle(node, path, flags);
    });
  }

  #handle(node: Node, path: string, flags: OpenFlags): FsFileHandle {
    let position = 0;
    let closed = false;
    const file = (syscall: string): FileNode => {
      if (closed) throw errno("EBADF", syscall, path);
      if (node.kind !== "file") throw errno("EISDIR", syscall, path);
      return node;
    };
    const append = flags === "a" || flags === "a+";
    return {
      write: (bytes) =>
        this.#op("write", path, true, () => {
          const f = file("write");
          if (flags === "r") throw errno("EBADF", "write", path);
          const at = append ? f.data.length : position;
          const end = at + bytes.length;
          const next = new Uint8Array(Math.max(f.data.length, end));
          next.set(f.data, 0);
          next.set(bytes, at);
          f.data = next;
          position = end;
          this.#touch(f);
        }),
      read: (buffer, at) =>
        this.#op("read", path, false, () => {
          const f = file("read");
          const from = at ?? position;
          const chunk = f.data.subarray(
            Math.min(from, f.data.length),
            Math.min(from + buffer.length, f.data.length),
          );
          buffer.set(chunk, 0);
          if (at === undefined) position += chunk.length;
          return chunk.length;
        }),
      stat: () =>
        this.#op("stat", path, false, () => {
          if (closed) throw errno("EBADF", "fstat", path);
          return this.#stat(node);
        }),
      truncate: (length) =>
        this.#op("truncate", path, true, () => {
          const f = file("ftruncate");
          const next = new Uint8Array(length);
          next.set(f.data.subarray(0, Math.min(length, f.data.length)), 0);
          f.data = next;
          this.#touch(f);
        }),
      sync: () =>
        this.#op("sync", path, true, () => {
          if (closed) throw errno("EBADF", "fsync", path);
          if (node.kind === "dir") this.#syncDirNode(node);
          else if (!this.ignore.has("fsync")) node.durable = node.data;
        }),
      datasync: () =>
        this.#op("datasync", path, true, () => {
          const f = file("fdatasync");
          if (!this.ignore.has("fdatasync")) f.durable = f.data;
        }),
      close: () =>
        this.#op("close", path, false, () => {
          if (closed) throw errno("EBADF", "close", path);
          closed = true;
        }),
    };
  }

  #syncDirNode(dir: DirNode): void {
    if (!this.ignore.has("dirsync")) dir.durableEntries = new Map(dir.entries);
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.#op("readFile", path, false, () => {
      const node = this.#lookup(path, "open");
      if (node.kind !== "file") throw errno("EISDIR", "read", path);
      return node.data.slice();
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.#op(
      "rename",
      from,
      true,
      () => {
        const source = this.#parent(from, "rename");
        const node = source.dir.entries.get(source.name);
        if (node === undefined) throw errno("ENOENT", "rename", from);
        const target = this.#parent(to, "rename");
        const existing = target.dir.entries.get(target.name);
        if (existing === node) return;
        if (existing?.kind === "dir") throw errno("EISDIR", "rename", to);
        source.dir.entries.delete(source.name);
        target.dir.entries.set(target.name, node);
        this.#touch(source.dir);
        this.#touch(target.dir);
      },
      to,
    );
  }

  link(existing: string, newPath: string): Promise<void> {
    return this.#op(
      "link",
      existing,
      true,
      () => {
        const node = this.#lookup(existing, "link");
        if (node.kind !== "file") throw errno("EPERM", "link", existing);
        const target = this.#parent(newPath, "link");
        if (target.dir.entries.has(target.name)) throw errno("EEXIST", "link", newPath);
        target.dir.entries.set(target.name, node);
        node.ctimeMs = Date.now();
        this.#touch(target.dir);
      },
      newPath,
    );
  }

  unlink(path: string): Promise<void> {
    return this.#op("unlink", path, true, () => {
      const { dir, name } = this.#parent(path, "unlink");
      const node = dir.entries.get(name);
      if (node === undefined) throw errno("ENOENT", "unlink", path);
      if (node.kind === "dir") throw errno("EISDIR", "unlink", path);
      dir.entries.delete(name);
      this.#touch(dir);
    });
  }

  mkdir(path: string, _options: { recursive: true }): Promise<string | undefined> {
    return this.#op("mkdir", path, true, () => {
      let node: Node = this.#root;
      let current = "";
      let first: string | undefined;
      for (const segment of this.#segments(path)) {
        current = `${current}/${segment}`;
        if (node.kind !== "dir") throw errno("ENOTDIR", "mkdir", path);
        let next: Node | undefined = node.entries.get(segment);
        if (next === undefined) {
          next = this.#newDir();
          node.entries.set(segment, next);
          this.#touch(node);
          first ??= current;
        }
        node = next;
      }
      if (node.kind !== "dir") throw errno("EEXIST", "mkdir", path);
      return first;
    });
  }

  rmdir(path: string): Promise<void> {
    return this.#op("rmdir", path, true, () => {
      const { dir, name } = this.#parent(path, "rmdir");
      const node = dir.entries.get(name);
      if (node === undefined) throw errno("ENOENT", "rmdir", path);
      if (node.kind !== "dir") throw errno("ENOTDIR", "rmdir", path);
      if (node.entries.size > 0) throw errno("ENOTEMPTY", "rmdir", path);
      dir.entries.delete(name);
      this.#touch(dir);
    });
  }

  readdir(path: string, _options: { withFileTypes: true }): Promise<FsDirEntry[]> {
    return this.#op("readdir", path, false, () => {
      const node = this.#lookup(path, "scandir");
      if (node.kind !== "dir") throw errno("ENOTDIR", "scandir", path);
      return [...node.entries]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, child]) => ({
          name,
          isFile: () => child.kind === "file",
          isDirectory: () => child.kind === "dir",
          isSymbolicLink: () => false,
        }));
    });
  }

  lstat(path: string): Promise<FsStat> {
    return this.#op("lstat", path, false, () => this.#stat(this.#lookup(path, "lstat")));
  }

  realpath(path: string): Promise<string> {
    return this.#op("realpath", path, false, () => {
      this.#lookup(path, "realpath");
      return posix.normalize(path);
    });
  }

  syncDir(path: string): Promise<void> {
    return this.#op("syncDir", path, true, () => {
      const node = this.#lookup(path, "open");
      if (node.kind !== "dir") throw errno("ENOTDIR", "fsync", path);
      this.#syncDirNode(node);
    });
  }

  // ------------------------------------------------------------------ crash images

  /**
   * What a power loss now would leave under the directory `root` (which must be durably
   * reachable, else the image is empty): paths relative to `root`.
   */
  crashImage(root: string, variant: CrashVariant = "lost"): CrashImage {
    const out = new Map<string, Uint8Array | null>();
    let node: Node | undefined = this.#root;
    for (const segment of this.#segments(root)) {
      node = node.kind === "dir" ? node.durableEntries.get(segment) : undefined;
      if (node === undefined) return out;
    }
    const walk = (dir: DirNode, prefix: string) => {
      for (const [name, child] of [...dir.durableEntries].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const path = prefix === "" ? name : `${prefix}/${name}`;
        if (child.kind === "dir") {
          out.set(path, null);
          walk(child, path);
        } else {
          out.set(path, survivingBytes(child, variant));
        }
      }
    };
    if (node.kind === "dir") walk(node, "");
    return out;
  }
}

/** A file's bytes after a crash (see the class comment for the variants). */
function survivingBytes(file: FileNode, variant: CrashVariant): Uint8Array {
  const { durable, data } = file;
  if (variant === "lost" || data.length <= durable.length || !startsWith(data, durable)) return durable;
  const unsynced = data.length - durable.length;
  if (variant === "half") return data.slice(0, durable.length + Math.floor(unsynced / 2));
  return concat(durable, new Uint8Array(unsynced));
}

/** A stable key of an image's content (identical images need to be checked only once). */
export function imageKey(image: CrashImage): string {
  const parts: string[] = [];
  for (const [path, bytes] of image) {
    parts.push(
      bytes === null ? `${path}/` : `${path}:${bytes.length}:${Buffer.from(bytes).toString("base64")}`,
    );
  }
  return parts.join("\n");
}

/**
 * Writes `image` into the (empty) real directory `dir`. The writer lock (`.lock`,
 * `.lock.claim`) is left out: after a power loss its holder is gone (stale-lock takeover is
 * tested in storage-fs), and a lock naming this very process would be judged live.
 */
export async function materialize(image: CrashImage, dir: string): Promise<void> {
  for (const [path, bytes] of image) {
    if (path === ".lock" || path === ".lock.claim") continue;
    const target = posix.join(dir, path);
    if (bytes === null) await mkdir(target, { recursive: true });
    else await writeFile(target, bytes);
  }
}
