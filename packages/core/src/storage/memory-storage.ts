import { ConflictError } from "../errors/errors.ts";
import {
  type AppendLog,
  concatBytes,
  type ListedObject,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  type StorageCapabilities,
  type StoredObject,
  toBytes,
} from "./adapter.ts";
import { assertValidKey, assertValidPrefix } from "./keys.ts";

interface Entry {
  body: Uint8Array;
  etag: string;
}

/**
 * In-memory adapter: for tests, browsers and ephemeral servers. Bodies are copied in and out
 * so callers can never mutate what is stored.
 */
export class MemoryStorage implements StorageAdapter {
  readonly kind = "memory";
  readonly capabilities: StorageCapabilities = {
    conditionalWrites: true,
    durableAppend: true,
    atomicReplace: true,
    nativeTtl: false,
    consistency: "strong",
  };
  readonly #entries = new Map<string, Entry>();
  #version = 0;

  async get(key: string): Promise<StoredObject | null> {
    assertValidKey(key);
    const entry = this.#entries.get(key);
    return entry ? { body: entry.body.slice(), etag: entry.etag } : null;
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key);
    const current = this.#entries.get(key);
    if (options.ifNoneMatch === "*" && current) {
      throw new ConflictError(`${key} already exists`, { code: "precondition_failed" });
    }
    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch) {
      throw new ConflictError(`${key} changed since it was read`, { code: "precondition_failed" });
    }
    const etag = `m${++this.#version}`;
    this.#entries.set(key, { body: toBytes(body).slice(), etag });
    return { etag };
  }

  async append(key: string, body: Uint8Array | string): Promise<void> {
    assertValidKey(key);
    const add = toBytes(body);
    const current = this.#entries.get(key)?.body ?? new Uint8Array(0);
    const next = new Uint8Array(current.length + add.length);
    next.set(current, 0);
    next.set(add, current.length);
    this.#entries.set(key, { body: next, etag: `m${++this.#version}` });
  }

  /** An append log over the stored entry (memory is as durable as it gets). */
  async openAppendLog(key: string): Promise<AppendLog> {
    assertValidKey(key);
    if (!this.#entries.has(key)) await this.put(key, new Uint8Array(0));
    const size = () => this.#entries.get(key)?.body.length ?? 0;
    return {
      get size() {
        return size();
      },
      append: async (bytes) => this.append(key, bytes),
      sync: async () => {},
      truncate: async (length) => {
        const body = this.#entries.get(key)?.body ?? new Uint8Array(0);
        this.#entries.set(key, { body: body.slice(0, length), etag: `m${++this.#version}` });
      },
      close: async () => {},
    };
  }

  /** Streams in small chunks, so callers' streaming paths are exercised in tests. */
  async getStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const stored = await this.get(key);
    if (!stored) return null;
    const body = stored.body;
    return (async function* () {
      for (let i = 0; i < body.length; i += MemoryStorage.STREAM_CHUNK) {
        yield body.subarray(i, i + MemoryStorage.STREAM_CHUNK);
      }
    })();
  }

  /** Collects the stream, then stores it atomically (a failing stream stores nothing). */
  async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<PutResult> {
    assertValidKey(key);
    const parts: Uint8Array[] = [];
    for await (const chunk of body) parts.push(chunk.slice());
    return this.put(key, concatBytes(parts));
  }

  /** Chunk size of `getStream` (small and odd, so lines straddle chunks). */
  static STREAM_CHUNK = 4093;

  async delete(key: string): Promise<boolean> {
    assertValidKey(key);
    return this.#entries.delete(key);
  }

  async list(prefix: string): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix)) out.push({ key, size: entry.body.length, etag: entry.etag });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
