import { sha256 } from "@noble/hashes/sha2.js";

/** An incremental hash. Runtimes with a faster native hash inject their own `HasherFactory`. */
export interface Hasher {
  update(chunk: Uint8Array | string): void;
  /** Lowercase hex digest; the hasher must not be used afterwards. */
  digestHex(): string;
}

/**
 * Makes hashers. A factory may also offer `hashHex`, a one-shot digest of a whole string
 * (a journal line is hashed at every commit: Node's one-shot `crypto.hash` is about twice as
 * fast as a `Hash` object for a few hundred bytes). Without it, callers use a hasher.
 */
export type HasherFactory = (() => Hasher) & { hashHex?: (text: string) => string };

/** SHA-256 hex of `text` with `factory`: its one-shot path when it has one. */
export function digestHexWith(factory: HasherFactory, text: string): string {
  if (factory.hashHex) return factory.hashHex(text);
  const hasher = factory();
  hasher.update(text);
  return hasher.digestHex();
}

const encoder = new TextEncoder();

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Portable incremental SHA-256 (pure JS, @noble/hashes). Web Crypto has no incremental API,
 * and streaming a large snapshot must not require holding it in memory.
 */
export const createSha256: HasherFactory = () => {
  const h = sha256.create();
  return {
    update(chunk) {
      h.update(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    },
    digestHex() {
      return toHex(h.digest());
    },
  };
};

/** One-shot SHA-256 over Web Crypto (available in Node, Deno, Workers and browsers). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

/** The part of `node:crypto` used here. */
interface NativeCrypto {
  createHash(algorithm: "sha256"): { update(data: Uint8Array | string): { digest(encoding: "hex"): string } };
  /** One-shot digest (Node ≥ 20.12, Deno): about twice as fast as a Hash object for short input. */
  hash?(algorithm: "sha256", data: Uint8Array | string, encoding: "hex"): string;
}

/**
 * The runtime's native SHA-256 when it offers one synchronously (`process.getBuiltinModule`:
 * Node ≥ 20.16, Deno, Bun), found by feature detection — core imports nothing from `node:` —
 * else `null` (browsers, Workers without nodejs_compat): the pure-JS hash then. Same digests.
 */
const nativeCrypto: NativeCrypto | null = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const crypto = proc?.getBuiltinModule?.("node:crypto") as NativeCrypto | undefined;
    return typeof crypto?.createHash === "function" ? crypto : null;
  } catch {
    return null;
  }
})();

const nativeHash = typeof nativeCrypto?.hash === "function" ? nativeCrypto.hash.bind(nativeCrypto) : null;

/**
 * Synchronous one-shot SHA-256 (for places that cannot await, such as deterministic ids and
 * record ETags — computed once per record version, on the GET path).
 */
export function sha256HexSync(data: Uint8Array | string): string {
  if (nativeHash) return nativeHash("sha256", data, "hex");
  if (nativeCrypto) return nativeCrypto.createHash("sha256").update(data).digest("hex");
  return toHex(sha256(typeof data === "string" ? encoder.encode(data) : data));
}
