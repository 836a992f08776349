import { basename, dirname, join } from "node:path";
import { ValidationError } from "@dawsos/core";
import { etagHasher } from "./content-etag.ts";
import type { FsFileHandle, FsOps } from "./fs-ops.ts";
import { tempNameFor, trackTemp } from "./temp-files.ts";

/** The bytes of a replace: one buffer for `put`, any chunked source for `putStream`. */
export type ReplaceBody = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Thrown (wrapped) when the caller's body source fails while we pull from it: that error
 * belongs to the caller (a serialiser bug, an aborted upload) and is rethrown as it was,
 * whereas filesystem errors become `StorageError`s.
 */
export class BodySourceError extends Error {
  constructor(readonly original: unknown) {
    super("the body source failed", { cause: original });
    this.name = "BodySourceError";
  }
}

/**
 * Replaces the file at `path` crash-safely (SPEC §3) and resolves to the etag of what it
 * wrote: a unique temp file beside the target, every chunk written (and hashed as it goes, so
 * a streamed body is never held whole), fsync, close, rename over the target, fsync the
 * directory. On failure the temp file is removed and the target is untouched — except when
 * only the final directory fsync failed: then the new body may be visible but is not known
 * to be durable.
 *
 * The parent directory must exist; the caller holds the key's write lock.
 */
export async function replaceFile(fs: FsOps, path: string, body: ReplaceBody): Promise<string> {
  const dir = dirname(path);
  const temp = join(dir, tempNameFor(basename(path)));
  const untrack = trackTemp(temp);
  const hasher = etagHasher();
  let handle: FsFileHandle | undefined;
  let tempExists = false;
  try {
    handle = await fs.open(temp, "wx");
    tempExists = true;
    for await (const chunk of pullFrom(body)) {
      hasher.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
    const opened = handle;
    handle = undefined;
    await opened.close();
    await fs.rename(temp, path);
    tempExists = false;
    await fs.syncDir(dir);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    if (tempExists) await fs.unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    untrack();
  }
  return hasher.digest();
}

/**
 * Yields the non-empty chunks of `body`, wrapping anything the source throws in
 * `BodySourceError`. When the consumer stops early (a write failed), `for await` calls
 * `return()` here, which closes the source too (a `getStream` source closes its file).
 */
async function* pullFrom(body: ReplaceBody): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    for await (const chunk of body) {
      // A string chunk would be written as UTF-8 by accident and hashed differently: refuse.
      if (!(chunk instanceof Uint8Array)) throw new ValidationError("body chunks must be Uint8Array");
      if (chunk.length > 0) yield chunk;
    }
  } catch (err) {
    throw new BodySourceError(err);
  }
}
