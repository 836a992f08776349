import { type AppendLog, StorageError, ValidationError } from "@dawsos/core";
import { storageFailure } from "./fs-errors.ts";
import type { FsFileHandle } from "./fs-ops.ts";

/** What the log needs from the `FsStorage` that opened it. */
export interface AppendLogHost {
  /**
   * Runs `task` after every earlier operation on the log's key — this log's own calls and
   * the storage's `put`/`delete`/`append` of the same key — so they apply in call order.
   */
  serialize<T>(task: () => Promise<T>): Promise<T>;
  /** Called once when the log is closed, so the storage can forget it. */
  closed(): void;
}

/**
 * An append-only file kept open on one handle (the graph journal), so a durable append costs
 * one write and one fdatasync instead of open/lstat/write/fdatasync/close — or, where the
 * handle offers `writeDurably` (an O_DSYNC descriptor), one write that is durable on return.
 *
 * Writes use O_APPEND (the handle is opened `"a+"`), not positional writes at `size`:
 * `"a+"` creates a missing file without truncating an existing one in a single open (Node has
 * no string flag for read-write-create without append), and Linux ignores the offset of
 * pwrite(2) on an O_APPEND descriptor anyway. O_APPEND writes land at the end of the file,
 * and the end of the file is exactly `size` before every append because:
 * - `size` starts at the file's size (fstat at open) and grows only after a fully successful
 *   write (and fdatasync, when asked for);
 * - after any failure the log is *dirty* — part of the failed bytes may be in the file — and
 *   refuses to append until a successful `truncate`, so a record whose write failed can never
 *   become durable together with (or ahead of) a later one;
 * - this log is the only writer of the file: the directory has one writer process (`.lock`),
 *   only one log per key is open per storage, and the storage's own writes to the key
 *   detach the log (below).
 *
 * Contract for replacing the file wholesale (journal compaction): close the log, `put` the
 * new content, open a new log. A `put`, `putStream`, `append` or `delete` of the key while
 * the log is open still works — it replaces or removes the file — but it *detaches* the log:
 * its handle now points at the old, unlinked file, so every later `append`/`sync`/`truncate`
 * rejects instead of writing bytes nobody will ever read. Only `close` still works.
 */
export class FsAppendLog implements AppendLog {
  readonly #key: string;
  readonly #handle: FsFileHandle;
  readonly #host: AppendLogHost;
  #size: number;
  /** Set when a write, fdatasync or truncate failed: the file may hold bytes past `size`. */
  #dirty = false;
  /**
   * Set by an append without `sync` until the next fdatasync: a synced append must then make
   * those earlier bytes durable too, which one O_DSYNC write (`writeDurably`) would not. Also
   * set at open when the file is not empty: a writer killed between its write and its
   * fdatasync leaves bytes in the page cache that this process reads (and replays) but that are
   * not on disk yet, and the next acknowledged record must not be durable without them.
   */
  #unsynced: boolean;
  /** Why the log can no longer write (closed, or its file replaced), or `undefined`. */
  #unusable: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(key: string, handle: FsFileHandle, size: number, host: AppendLogHost) {
    this.#key = key;
    this.#handle = handle;
    this.#size = size;
    this.#host = host;
    this.#unsynced = size > 0;
  }

  /** Bytes in the log, all written successfully: the offset the next append writes at. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends `bytes` (copied now, so the caller may reuse its buffer); with `sync: true` they
   * are durable (fdatasync) before this resolves. On failure rejects with a `StorageError`
   * (`cause`: the errno error), leaves `size` unchanged and marks the log dirty: call
   * `truncate(size)` before appending again.
   */
  append(bytes: Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(new ValidationError("append log records must be Uint8Array"));
    }
    const record = bytes.slice();
    const sync = options.sync === true;
    return this.#host.serialize(async () => {
      this.#assertWritable();
      if (this.#dirty) {
        throw new StorageError(
          `fs storage append log ${JSON.stringify(this.#key)} has unconfirmed bytes; truncate first`,
          { details: { key: this.#key } },
        );
      }
      try {
        if (!sync) {
          await this.#handle.write(record);
          this.#unsynced = true;
        } else if (this.#handle.writeDurably && !this.#unsynced) {
          await this.#handle.writeDurably(record);
        } else {
          await this.#handle.write(record);
          await this.#handle.datasync();
          this.#unsynced = false;
        }
      } catch (err) {
        this.#dirty = true;
        throw storageFailure("append to", this.#key, err);
      }
      this.#size += record.length;
    });
  }

  /**
   * Makes every appended byte durable (fdatasync). A failure marks the log dirty too: after a
   * failed fdatasync Linux may drop the unwritten pages and report success next time, so the
   * caller must truncate back to a size it knows is durable before appending again.
   */
  sync(): Promise<void> {
    return this.#host.serialize(async () => {
      this.#assertWritable();
      try {
        await this.#handle.datasync();
        this.#unsynced = false;
      } catch (err) {
        this.#dirty = true;
        throw storageFailure("sync", this.#key, err);
      }
    });
  }

  /**
   * Cuts the log back to `length` bytes (at most `size`), durably: ftruncate, then fdatasync.
   * On success `size` is `length` and the log is clean again; on failure it stays dirty.
   */
  truncate(length: number): Promise<void> {
    return this.#host.serialize(async () => {
      this.#assertWritable();
      if (!Number.isSafeInteger(length) || length < 0 || length > this.#size) {
        // Growing the log would append zero bytes nobody wrote: never what a caller means.
        throw new ValidationError(`truncate length must be an integer from 0 to ${this.#size}`, {
          details: { key: this.#key, length, size: this.#size },
        });
      }
      try {
        await this.#handle.truncate(length);
        await this.#handle.datasync();
        this.#unsynced = false;
      } catch (err) {
        this.#dirty = true;
        throw storageFailure("truncate", this.#key, err);
      }
      this.#size = length;
      this.#dirty = false;
    });
  }

  /**
   * Closes the handle after every earlier call on the log has finished. Does not fdatasync:
   * appends made without `sync` stay as durable as they were (call `sync()` first if that
   * matters). Safe to call twice; later appends reject.
   */
  close(): Promise<void> {
    this.#closing ??= this.#host.serialize(async () => {
      this.#unusable = "closed";
      try {
        await this.#handle.close();
      } catch (err) {
        throw storageFailure("close", this.#key, err);
      } finally {
        this.#host.closed();
      }
    });
    return this.#closing;
  }

  /**
   * Called by the storage (inside the key's queue) before it replaces or removes the file:
   * this handle would keep writing to the old inode, so the log stops accepting writes.
   */
  detach(): void {
    this.#unusable ??= "replaced";
  }

  #assertWritable(): void {
    if (this.#unusable === undefined) return;
    const why =
      this.#unusable === "closed"
        ? "is closed"
        : "was replaced or deleted through the storage; close it and open a new one";
    throw new StorageError(`fs storage append log ${JSON.stringify(this.#key)} ${why}`, {
      details: { key: this.#key },
    });
  }
}
