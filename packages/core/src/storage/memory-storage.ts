import { ConflictError } from "../errors/errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
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
  modifiedMs: number;
}

export interface MemoryStorageOptions {
  /** Stamps `modifiedMs` of listed entries; tests pass a `ManualClock`. */
  clock?: Clock;
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
  readonly #clock: Clock;
  #version = 0;

  constructor(options: MemoryStorageOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  #entry(body: Uint8Array): Entry {
    return { body, etag: `m${++this.#version}`, modifiedMs: this.#clock.now().getTime() };
  }

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
    const entry = this.#entry(toBytes(body).slice());
    this.#entries.set(key, entry);
    return { etag: entry.etag };
  }

  /**
   * Appends in amortised O(appended bytes): an entry's buffer grows by doubling and appends
   * fill its spare room, so a long log is not copied whole per append. Safe because no one
   * else holds a view of a stored buffer (`get` hands out copies).
   */
  async append(key: string, body: Uint8Array | string): Promise<void> {
    assertValidKey(key);
    const add = toBytes(body);
    const current = this.#entries.get(key)?.body ?? new Uint8Array(0);
    const length = current.length + add.length;
    let next: Uint8Array;
    if (current.byteOffset + length <= current.buffer.byteLength) {
      next = new Uint8Array(current.buffer, current.byteOffset, length);
    } else {
      next = new Uint8Array(new ArrayBuffer(Math.max(length, 2 * current.length)), 0, length);
      next.set(current, 0);
    }
    next.set(add, current.length);
    this.#entries.set(key, this.#entry(next));
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
        this.#entries.set(key, this.#entry(body.slice(0, length)));
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
      if (key.startsWith(prefix)) {
        out.push({ key, size: entry.body.length, etag: entry.etag, modifiedMs: entry.modifiedMs });
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
