import {
  assertValidKey,
  assertValidPrefix,
  checkedKeyPrefix,
  DawsosError,
  InvalidIdError,
  type ListedObject,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  type StorageCapabilities,
  StorageError,
  type StoredObject,
  toBytes,
  UnsupportedStorageError,
} from "@dawsos/core";
import { randomTag } from "./bytes.ts";
import type { KvEntryMetadata, KvNamespaceLike } from "./kv-types.ts";

export interface KvStorageOptions {
  /** Prefix for every key (several stores in one namespace). Must be empty or end with `/`. */
  prefix?: string;
  /**
   * Seconds an entry may live when the writer names no `expirationTtl`, so a cache never grows
   * without bound. Default 7 days; `null` keeps such entries until deleted.
   */
  defaultTtlSeconds?: number | null;
}

/** Workers KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60;
/** Workers KV keys are at most 512 bytes. */
export const KV_MAX_KEY_BYTES = 512;
const DEFAULT_TTL_SECONDS = 7 * 24 * 60 * 60;
const LIST_PAGE = 1000;

const encoder = new TextEncoder();

/**
 * `StorageAdapter` over a Workers KV namespace, **for cache entries only**. KV is eventually
 * consistent (a write can take up to a minute to be seen elsewhere) and last-write-wins, with
 * no compare-and-swap: the capability flags say so, and `GraphStore` refuses it for the
 * graph. A conditional `put` is refused (`unsupported_storage`) rather than
 * silently unconditional.
 *
 * - Etags are ours: a random tag stored in the entry's metadata with its size (so `list`
 *   reports sizes without reading values).
 * - `expirationTtl` is passed to KV, raised to KV's 60-second minimum; entries written
 *   without one get `defaultTtlSeconds`. Expiry by KV is only a storage bound — readers still
 *   check an entry's own `expires_at` (and may serve it stale), which is why the TTL a cache
 *   asks for should outlive its freshness.
 * - `list` follows KV's cursors past 1,000 keys.
 */
export class KvStorage implements StorageAdapter {
  readonly kind = "kv";
  readonly capabilities: StorageCapabilities = {
    conditionalWrites: false,
    durableAppend: false,
    atomicReplace: true,
    nativeTtl: true,
    consistency: "eventual",
  };
  readonly #kv: KvNamespaceLike;
  readonly #defaultTtl: number | null;
  readonly #prefix: string;

  constructor(kv: KvNamespaceLike, options: KvStorageOptions = {}) {
    const prefix = checkedKeyPrefix(options.prefix, "KvStorage");
    this.#prefix = prefix;
    this.#kv = kv;
    this.#defaultTtl =
      options.defaultTtlSeconds === undefined ? DEFAULT_TTL_SECONDS : options.defaultTtlSeconds;
  }

  #key(key: string): string {
    assertValidKey(key);
    const full = this.#prefix + key;
    if (encoder.encode(full).length > KV_MAX_KEY_BYTES) {
      throw new InvalidIdError(`storage key longer than ${KV_MAX_KEY_BYTES} bytes (the Workers KV limit)`);
    }
    return full;
  }

  async get(key: string): Promise<StoredObject | null> {
    const k = this.#key(key);
    const { value, metadata } = await wrap("get", key, () => this.#kv.getWithMetadata(k, "arrayBuffer"));
    if (value === null) return null;
    const body = new Uint8Array(value);
    return { body, etag: metadataOf(metadata).etag ?? `size-${body.length}` };
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const k = this.#key(key);
    if (options.ifMatch !== undefined || options.ifNoneMatch !== undefined) {
      throw new UnsupportedStorageError(
        "Workers KV has no conditional writes (capabilities.conditionalWrites)",
      );
    }
    const bytes = toBytes(body);
    const etag = randomTag();
    const metadata: KvEntryMetadata = { etag, size: bytes.length };
    const ttl = expirationTtlOf(options.expirationTtl, this.#defaultTtl);
    await wrap("put", key, () =>
      this.#kv.put(k, bytes, ttl === undefined ? { metadata } : { metadata, expirationTtl: ttl }),
    );
    return { etag };
  }

  async delete(key: string): Promise<boolean> {
    const k = this.#key(key);
    // KV's delete does not say whether something was there (and is as eventual as the rest).
    const existing = await this.get(key);
    await wrap("delete", key, () => this.#kv.delete(k));
    return existing !== null;
  }

  async list(prefix: string): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await wrap("list", prefix, () =>
        this.#kv.list({ prefix: this.#prefix + prefix, limit: LIST_PAGE, ...(cursor ? { cursor } : {}) }),
      );
      for (const { name: full, metadata } of page.keys) {
        const name = full.slice(this.#prefix.length);
        const meta = metadataOf(metadata);
        out.push(
          meta.etag === undefined
            ? { key: name, size: meta.size ?? 0 }
            : { key: name, size: meta.size ?? 0, etag: meta.etag },
        );
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** The TTL to send: the caller's (at least KV's minimum), else the default, else none. */
export function expirationTtlOf(requested: number | undefined, fallback: number | null): number | undefined {
  const seconds = requested ?? fallback;
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return undefined;
  return Math.max(KV_MIN_TTL_SECONDS, Math.ceil(seconds));
}

function metadataOf(raw: unknown): KvEntryMetadata {
  if (typeof raw !== "object" || raw === null) return {};
  const { etag, size } = raw as Record<string, unknown>;
  return {
    ...(typeof etag === "string" ? { etag } : {}),
    ...(typeof size === "number" ? { size } : {}),
  };
}

async function wrap<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof DawsosError) throw cause;
    throw new StorageError(`kv ${op} ${key} failed`, { cause });
  }
}
