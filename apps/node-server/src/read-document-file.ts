import { open } from "node:fs/promises";
import { basename } from "node:path";
import type { OnProgress } from "@dawsos/core";
import { progressStep } from "@dawsos/core/util";

/** Bytes per read: progress moves at least once per MiB. */
const CHUNK = 1 << 20;

/**
 * The text of the document file `dawsos import` reads, its bytes counted as they are read
 * (step `reading <name>`, of the file's size). Read into one buffer sized from the file — no
 * second copy of a large document — and, like `readFile`, on to the end: a pipe or process
 * substitution (`dawsos import <(curl …)`) has no size, so it grows as it comes.
 */
export async function readDocumentFile(path: string, onProgress?: OnProgress): Promise<string> {
  const handle = await open(path, "r");
  try {
    const stat = await handle.stat();
    const size = stat.isFile() ? stat.size : undefined;
    const count = progressStep(onProgress, `reading ${basename(path)}`, "bytes", size);
    let buffer = Buffer.allocUnsafe(size ?? CHUNK);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        // Full: whether anything follows is only known by reading on (a file grown since stat).
        const probe = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await handle.read(probe, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + bytesRead));
        buffer.copy(grown, 0, 0, length);
        probe.copy(grown, length, 0, bytesRead);
        buffer = grown;
        length += bytesRead;
        count(bytesRead);
        continue;
      }
      const { bytesRead } = await handle.read(buffer, length, Math.min(CHUNK, buffer.length - length), null);
      if (bytesRead === 0) break;
      length += bytesRead;
      count(bytesRead);
    }
    return buffer.toString("utf8", 0, length);
  } finally {
    await handle.close();
  }
}
