import type { FsFileHandle } from "./fs-ops.ts";
import { Mutex } from "./locks.ts";

/** Bytes per chunk of `getStream`: large enough to amortise the syscall, small enough to stream. */
export const STREAM_CHUNK_BYTES = 1 << 20;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The chunks of one open file, read front to back with positional reads. The file was opened
 * before this exists, so a concurrent replace (a rename over the path) does not change what
 * is read: the stream is a snapshot of the file that was there at `getStream` time.
 *
 * The handle is closed at end of file, on the first read error, and by `return()` (which
 * `for await … break` calls). A stream that is never iterated keeps its handle until it is
 * garbage collected, so callers iterate it or call `return()`. One-shot: it is its own
 * iterator, like a generator.
 */
export class FileChunkStream implements AsyncIterableIterator<Uint8Array, undefined, undefined> {
  #handle: FsFileHandle | undefined;
  #position = 0;
  /** `next()` calls that overlap (not `for await`, but possible) must not read out of order. */
  readonly #queue = new Mutex();
  readonly #chunkBytes: number;
  /** Maps a read or close failure to the error callers see (a `StorageError` naming the key). */
  readonly #failure: (err: unknown) => Error;

  constructor(handle: FsFileHandle, failure: (err: unknown) => Error, chunkBytes = STREAM_CHUNK_BYTES) {
    this.#handle = handle;
    this.#failure = failure;
    this.#chunkBytes = chunkBytes;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    return this.#queue.run(async () => {
      const handle = this.#handle;
      if (handle === undefined) return DONE;
      let read: number;
      // A fresh buffer per chunk: consumers may keep chunks after asking for the next one.
      const buffer = new Uint8Array(this.#chunkBytes);
      try {
        read = await handle.read(buffer, this.#position);
      } catch (err) {
        await this.#close().catch(() => undefined);
        throw this.#failure(err);
      }
      if (read === 0) {
        await this.#closeOrFail();
        return DONE;
      }
      this.#position += read;
      // A short final chunk is copied out so the 1 MiB buffer behind it can be freed.
      const chunk = read === buffer.length ? buffer : buffer.slice(0, read);
      return { done: false, value: chunk };
    });
  }

  /** Stops early and closes the file. */
  return(): Promise<IteratorResult<Uint8Array, undefined>> {
    return this.#queue.run(async () => {
      await this.#closeOrFail();
      return DONE;
    });
  }

  /** Closes the file, then rejects with `err` (the iterator protocol's abort-with-error). */
  throw(err?: unknown): Promise<IteratorResult<Uint8Array, undefined>> {
    return this.#queue.run(async () => {
      await this.#close().catch(() => undefined);
      throw err;
    });
  }

  async #closeOrFail(): Promise<void> {
    try {
      await this.#close();
    } catch (err) {
      throw this.#failure(err);
    }
  }

  async #close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}
