import { ConflictError } from "../errors/errors.ts";
import {
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
