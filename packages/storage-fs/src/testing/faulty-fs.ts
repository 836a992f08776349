import { sep } from "node:path";
import type { FsDirEntry, FsFileHandle, FsOps, FsStat, OpenFlags } from "../fs-ops.ts";
import { nodeFsOps } from "../fs-ops.ts";

/** The operations of `FsOps` and of its file handles, as recorded in `FaultyFs.log`. */
export type FsOpName =
  | "open"
  | "write"
  | "read"
  | "stat"
  | "truncate"
  | "sync"
  | "datasync"
  | "close"
  | "readFile"
  | "rename"
  | "link"
  | "unlink"
  | "mkdir"
  | "rmdir"
  | "readdir"
  | "lstat"
  | "realpath"
  | "syncDir";

/** Errno codes `FaultyFs` can inject, with the errno numbers Linux uses for them. */
const ERRNO = {
  EIO: { errno: -5, text: "i/o error" },
  ENOSPC: { errno: -28, text: "no space left on device" },
  EACCES: { errno: -13, text: "permission denied" },
  EROFS: { errno: -30, text: "read-only file system" },
} as const;
export type FaultCode = keyof typeof ERRNO;

/** The syscall Node would name in the error of each operation. */
const SYSCALL: Record<FsOpName, string> = {
  open: "open",
  write: "write",
  read: "read",
  stat: "fstat",
  truncate: "ftruncate",
  sync: "fsync",
  datasync: "fdatasync",
  close: "close",
  readFile: "read",
  rename: "rename",
  link: "link",
  unlink: "unlink",
  mkdir: "mkdir",
  rmdir: "rmdir",
  readdir: "scandir",
  lstat: "lstat",
  realpath: "realpath",
  syncDir: "fsync",
};

/** One recorded operation. Paths are relative to `root` when they lie under it. */
export interface FsLogEntry {
  readonly op: FsOpName;
  readonly path: string;
  /** `rename` and `link` only: the destination. */
  readonly to?: string;
  /** `open` only: the flags. */
  readonly flags?: string;
  /** `write`, `read`: how many bytes were asked for. */
  readonly bytes?: number;
  /** `truncate` only: the length asked for. */
  readonly length?: number;
  /** Set when this operation was failed on purpose. */
  readonly injected?: FaultCode;
}

/** Which operation to fail, and how. */
export interface FaultRule {
  /** The operation kind to fail, or `"any"` to count every operation. */
  readonly op: FsOpName | "any";
  /** Fail the n-th matching operation after `failOn` (1-based). Default 1: the next one. */
  readonly nth?: number;
  readonly code: FaultCode;
  /** `true`: the n-th and every later matching operation fail, until `clearFaults`. */
  readonly sticky?: boolean;
  /** Only count operations on this (root-relative) path, or on paths matching this pattern. */
  readonly path?: string | RegExp;
  /**
   * `write` only: write the first half of the bytes, then fail — a short write followed by an
   * error, as when a disk fills up mid-write. Shows that callers clean up bytes that did land.
   */
  readonly partial?: boolean;
}

export interface FaultyFsOptions {
  /** Paths under this directory are logged relative to it. Can also be set later. */
  readonly root?: string;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  done: boolean;
}

/** An errno-like error, shaped as Node's own (`code`, `errno`, `syscall`, `path`). */
export function fsError(code: FaultCode, syscall: string, path: string): NodeJS.ErrnoException {
  const { errno, text } = ERRNO[code];
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { code, errno, syscall, path });
}

/**
 * A fault-injecting `FsOps` wrapper for tests: records every operation in order and fails
 * chosen ones with EIO/ENOSPC-style errors, so tests can assert the syscall order of a
 * crash-safe write (a kill -9 keeps the page cache, so order must be checked directly) and
 * what happens when any single step fails.
 *
 * ```ts
 * const faulty = new FaultyFs(nodeFsOps, { root });
 * faulty.failOn({ op: "sync", nth: 1, code: "ENOSPC" });
 * faulty.log; faulty.clearFaults(); faulty.clearLog();
 * ```
 *
 * An injected failure does not perform the operation, except `close`, which still closes
 * the real handle so tests do not leak descriptors, and a `partial` write fault, which
 * writes half the bytes first.
 */
export class FaultyFs implements FsOps {
  /** Every operation so far, in call order. */
  readonly log: FsLogEntry[] = [];
  root: string | undefined;
  readonly #inner: FsOps;
  #rules: ActiveRule[] = [];

  constructor(inner: FsOps = nodeFsOps, options: FaultyFsOptions = {}) {
    this.#inner = inner;
    this.root = options.root;
  }

  /** Adds a fault. Counting starts now. */
  failOn(rule: FaultRule): void {
    if (rule.nth !== undefined && (!Number.isInteger(rule.nth) || rule.nth < 1)) {
      throw new RangeError("nth must be a positive integer");
    }
    this.#rules.push({ rule, seen: 0, done: false });
  }

  /** Removes every fault; operations succeed again. */
  clearFaults(): void {
    this.#rules = [];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** The log restricted to the given operation kinds. */
  ops(...names: FsOpName[]): FsLogEntry[] {
    return this.log.filter((entry) => names.includes(entry.op));
  }

  async open(path: string, flags: OpenFlags): Promise<FsFileHandle> {
    this.#enter("open", path, { flags });
    return this.#wrapHandle(await this.#inner.open(path, flags), path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.#enter("readFile", path);
    return this.#inner.readFile(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.#enter("rename", from, { to: this.#relative(to) });
    return this.#inner.rename(from, to);
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.#enter("link", existing, { to: this.#relative(newPath) });
    return this.#inner.link(existing, newPath);
  }

  async unlink(path: string): Promise<void> {
    this.#enter("unlink", path);
    return this.#inner.unlink(path);
  }

  async mkdir(path: string, options: { recursive: true }): Promise<string | undefined> {
    this.#enter("mkdir", path);
    return this.#inner.mkdir(path, options);
  }

  async rmdir(path: string): Promise<void> {
    this.#enter("rmdir", path);
    return this.#inner.rmdir(path);
  }

  async readdir(path: string, options: { withFileTypes: true }): Promise<FsDirEntry[]> {
    this.#enter("readdir", path);
    return this.#inner.readdir(path, options);
  }

  async lstat(path: string): Promise<FsStat> {
    this.#enter("lstat", path);
    return this.#inner.lstat(path);
  }

  async realpath(path: string): Promise<string> {
    this.#enter("realpath", path);
    return this.#inner.realpath(path);
  }

  async syncDir(path: string): Promise<void> {
    this.#enter("syncDir", path);
    return this.#inner.syncDir(path);
  }

  #wrapHandle(handle: FsFileHandle, path: string): FsFileHandle {
    /** An injected write fault: a `partial` one writes half the bytes first. */
    const failWrite = async (fault: FaultRule, bytes: Uint8Array): Promise<never> => {
      if (fault.partial === true) await handle.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      throw fsError(fault.code, SYSCALL.write, path);
    };
    return {
      write: async (bytes) => {
        const fault = this.#record("write", path, { bytes: bytes.length });
        return fault === undefined ? handle.write(bytes) : failWrite(fault, bytes);
      },
      read: async (buffer, position) => {
        this.#enter("read", path, { bytes: buffer.length });
        return handle.read(buffer, position);
      },
      stat: async () => {
        this.#enter("stat", path);
        return handle.stat();
      },
      truncate: async (length) => {
        this.#enter("truncate", path, { length });
        return handle.truncate(length);
      },
      sync: async () => {
        this.#enter("sync", path);
        return handle.sync();
      },
      datasync: async () => {
        this.#enter("datasync", path);
        return handle.datasync();
      },
      // A durable write is logged (and can fail) as the write and the fdatasync it stands for,
      // so every fault test of write + datasync also covers the one-syscall path.
      ...(handle.writeDurably
        ? {
            writeDurably: async (bytes: Uint8Array) => {
              const writeFault = this.#record("write", path, { bytes: bytes.length });
              if (writeFault !== undefined) return failWrite(writeFault, bytes);
              const syncFault = this.#record("datasync", path, {});
              if (syncFault === undefined) return handle.writeDurably!(bytes);
              // The bytes reached the page cache; making them durable failed.
              await handle.write(bytes);
              throw fsError(syncFault.code, SYSCALL.datasync, path);
            },
          }
        : {}),
      close: async () => {
        const fault = this.#record("close", path, {});
        await handle.close();
        if (fault !== undefined) throw fsError(fault.code, SYSCALL.close, path);
      },
    };
  }

  /** Logs the operation and throws if a rule says it fails. */
  #enter(op: FsOpName, path: string, extra: Omit<FsLogEntry, "op" | "path" | "injected"> = {}): void {
    const fault = this.#record(op, path, extra);
    if (fault !== undefined) throw fsError(fault.code, SYSCALL[op], path);
  }

  /** Logs the operation; resolves to the rule that fails it, if any. */
  #record(
    op: FsOpName,
    path: string,
    extra: Omit<FsLogEntry, "op" | "path" | "injected">,
  ): FaultRule | undefined {
    const relative = this.#relative(path);
    const fault = this.#faultFor(op, relative);
    this.log.push({ op, path: relative, ...extra, ...(fault === undefined ? {} : { injected: fault.code }) });
    return fault;
  }

  #faultFor(op: FsOpName, relative: string): FaultRule | undefined {
    let fault: FaultRule | undefined;
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.done || (rule.op !== "any" && rule.op !== op) || !pathMatches(rule.path, relative)) continue;
      active.seen++;
      const nth = rule.nth ?? 1;
      if (active.seen === nth || (rule.sticky === true && active.seen > nth)) {
        fault ??= rule;
        if (rule.sticky !== true) active.done = true;
      }
    }
    return fault;
  }

  #relative(path: string): string {
    const root = this.root;
    if (root === undefined) return path;
    if (path === root) return ".";
    const base = root.endsWith(sep) ? root : root + sep;
    return path.startsWith(base) ? path.slice(base.length).split(sep).join("/") : path;
  }
}

function pathMatches(filter: string | RegExp | undefined, relative: string): boolean {
  if (filter === undefined) return true;
  return typeof filter === "string" ? filter === relative : filter.test(relative);
}
