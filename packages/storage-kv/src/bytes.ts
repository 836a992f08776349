import type { ByteStreamLike } from "./r2-types.ts";

export { concatBytes } from "@dawsos/core";

/** SHA-256 of `bytes` with WebCrypto (native in workerd). */
export async function sha256Digest(bytes: Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
}

/** 128 random bits as hex: a version tag no two writes share. */
export function randomTag(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Reads a byte stream chunk by chunk. */
export async function* streamChunks(stream: ByteStreamLike): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done || next.value === undefined) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // A consumer that stops early must not leave the body (and its connection) half read.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
