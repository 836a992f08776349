import type { StorageAdapter } from "../storage/adapter.ts";

/** Bytes at the end of a document that hold its checksum trailer (with room to spare). */
export const TRAILER_BYTES = 256;

/** The checksum from a file's trailer (written by `writeDocument`), or `null`. */
export function trailerChecksum(bytes: Uint8Array): string | null {
  const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 200)));
  return /"checksum":"([0-9a-f]{64})"\}\s*$/.exec(tail)?.[1] ?? null;
}

/**
 * The last `TRAILER_BYTES` of a stored document, streamed when the adapter can (never the
 * whole file at once); `null` when nothing is stored.
 */
export async function readTail(storage: StorageAdapter, key: string): Promise<Uint8Array | null> {
  if (!storage.getStream) {
    const body = (await storage.get(key))?.body;
    return body ? body.subarray(Math.max(0, body.length - TRAILER_BYTES)) : null;
  }
  const stream = await storage.getStream(key);
  if (!stream) return null;
  let tail = new Uint8Array(0);
  for await (const chunk of stream) {
    const keep = tail.subarray(Math.max(0, tail.length - TRAILER_BYTES));
    const joined = new Uint8Array(keep.length + chunk.length);
    joined.set(keep, 0);
    joined.set(chunk, keep.length);
    tail = joined.subarray(Math.max(0, joined.length - TRAILER_BYTES));
  }
  return tail;
}

/** The checksum in a stored document's trailer, read without loading the document. */
export async function storedChecksum(storage: StorageAdapter, key: string): Promise<string | null> {
  const tail = await readTail(storage, key);
  return tail ? trailerChecksum(tail) : null;
}
