import { createHash, hash } from "node:crypto";
import type { HasherFactory } from "@dawsos/core";

/**
 * Incremental SHA-256 over `node:crypto` (~1 GB/s, several times the portable pure-JS hasher),
 * with the one-shot `crypto.hash` for whole strings (journal lines).
 * Pass it to `GraphStore.open(storage, { hasher: nodeSha256 })` on Node.
 */
export const nodeSha256: HasherFactory = Object.assign(
  () => {
    const h = createHash("sha256");
    return {
      update(chunk: Uint8Array | string) {
        h.update(chunk);
      },
      digestHex() {
        return h.digest("hex");
      },
    };
  },
  { hashHex: (text: string) => hash("sha256", text, "hex") },
);
