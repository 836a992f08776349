import type { ZodType } from "zod";
import { DawsosError, InvalidIdError, UpstreamError } from "../errors/errors.ts";
import { bytesToText, type StorageAdapter } from "../storage/adapter.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { type CacheStats, type Loaded, TTLCache, type TTLEntry } from "./ttl-cache.ts";

/** A persisted entry, `cache/<namespace>/<key>.json` (SPEC section 3). */
export interface PersistedCacheEntry<V> {
  value: V;
  /** ISO 8601. */
  fetched_at: string;
  /** ISO 8601. */
  expires_at: string;
}

/** The answer of `ReadThroughCache.get`. */
export interface CacheResult<V> {
  value: V;
  /** `false` only when this lookup fetched the value from the origin. */
  cached: boolean;
  /** Past its TTL: served because the origin failed. */
  stale: boolean;
  /** ISO 8601: when the value was fetched from the origin. */
  fetched_at: string;
  /** ISO 8601: when it stops being fresh. */
  expires_at: string;
}

export type CacheEvent =
  | { type: "cache_entry_corrupt"; namespace: string; key: string; reason: string }
  | { type: "cache_persist_failed"; namespace: string; key: string; error: unknown };

export interface ReadThroughCacheOptions<V> {
  /** `[a-z0-9][a-z0-9_-]*`, at most 64 characters: a directory under `cache/`. */
  namespace: string;
  ttlMs: number;
  /** Gets the value from the origin (FRED, FMP…). */
  fetcher: (key: string) => Promise<V>;
  /** Where entries persist across restarts. Without it the cache is memory only. */
  storage?: StorageAdapter;
  /** Validates persisted values: one that does not match is a corrupt entry, i.e. a miss. */
  schema?: ZodType<V>;
  /** Entries in memory (LRU beyond). Default 1000. */
  maxEntries?: number;
  clock?: Clock;
  /**
   * Whether a failure of the fetcher may be answered with the last value, even expired.
   * Default: `UpstreamError`s (including `rate_limited`) and errors that are not ours; a
   * `NotFoundError` or `ValidationError` is the caller's problem and is passed on.
   */
  staleIfError?: (error: unknown) => boolean;
  /** Corrupt persisted entries and failed writes (neither fails a lookup). */
  onEvent?: (event: CacheEvent) => void;
}

const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Keys become file names: no `/`, no `..`, nothing a filesystem or KV could misread. */
const KEY = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]|\.(?!\.)){0,199}$/;

/** Default `staleIfError`: the origin's failures, not the caller's mistakes. */
export function isOriginFailure(error: unknown): boolean {
  return error instanceof UpstreamError || !(error instanceof DawsosError);
}

/**
 * The original DawsOS "memory → disk → API" cache, done properly: a `TTLCache` in memory, then
 * the storage adapter (`cache/<namespace>/<key>.json`: `{value, fetched_at, expires_at}`), then
 * the fetcher.
 *
 * - Concurrent misses for one key make one origin call (single-flight, covering the storage read
 *   too).
 * - A persisted entry still fresh after a restart is used as it is (same `fetched_at`,
 *   `expires_at`): restarts do not refetch.
 * - When the origin fails, the last value — from memory, or persisted by an earlier process —
 *   is served even if expired, with `stale: true`. Without one, the origin's error is thrown.
 * - A persisted entry that cannot be read or does not validate is a miss (and an event), never
 *   an error; the next successful fetch overwrites it. A failed write is an event too: the value
 *   is still served from memory.
 */
export class ReadThroughCache<V> {
  readonly namespace: string;
  /** Entries carry their ISO times, formatted once per fetch rather than on every hit. */
  readonly #memory: TTLCache<PersistedCacheEntry<V>>;
  readonly #options: ReadThroughCacheOptions<V>;
  readonly #clock: Clock;
  readonly #staleIfError: (error: unknown) => boolean;

  constructor(options: ReadThroughCacheOptions<V>) {
    if (!NAMESPACE.test(options.namespace))
      throw new InvalidIdError(`invalid cache namespace ${JSON.stringify(options.namespace)}`);
    this.namespace = options.namespace;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#staleIfError = options.staleIfError ?? isOriginFailure;
    this.#memory = new TTLCache<PersistedCacheEntry<V>>({
      ttlMs: options.ttlMs,
      clock: this.#clock,
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    });
  }

  get ttlMs(): number {
    return this.#memory.ttlMs;
  }

  /** The storage key of a cache key. Throws `InvalidIdError` for a key that could escape its directory. */
  storageKey(key: string): string {
    if (!KEY.test(key)) throw new InvalidIdError(`invalid cache key ${JSON.stringify(key)}`);
    return `cache/${this.namespace}/${key}.json`;
  }

  /** The value under `key`: memory, then storage, then the fetcher (see the class comment). */
  async get(key: string): Promise<CacheResult<V>> {
    const storageKey = this.storageKey(key);
    const result = await this.#memory.fetch(key, (previous) => this.#load(key, storageKey, previous), {
      staleIfError: this.#staleIfError,
    });
    const { value, fetched_at, expires_at } = result.value;
    return { value, cached: result.cached, stale: result.stale, fetched_at, expires_at };
  }

  /** Forgets `key` in memory and in storage. */
  async invalidate(key: string): Promise<void> {
    const storageKey = this.storageKey(key);
    this.#memory.delete(key);
    await this.#options.storage?.delete(storageKey);
  }

  stats(): CacheStats {
    return this.#memory.stats();
  }

  async #load(
    key: string,
    storageKey: string,
    previous: TTLEntry<PersistedCacheEntry<V>> | undefined,
  ): Promise<Loaded<PersistedCacheEntry<V>>> {
    const persisted = await this.#readPersisted(key, storageKey);
    const now = this.#clock.now().getTime();
    if (persisted && now < persisted.expiresAt) return { ...persisted, fromCache: true };
    let value: V;
    try {
      value = await this.#options.fetcher(key);
    } catch (error) {
      // Memory's expired entry (if any) is served by TTLCache; this covers a restart, when only
      // storage remembers the last value. Prefer whichever was fetched last.
      if (
        persisted &&
        this.#staleIfError(error) &&
        (previous === undefined || persisted.fetchedAt > previous.fetchedAt)
      ) {
        return { ...persisted, stale: true };
      }
      throw error;
    }
    const fetchedAt = this.#clock.now().getTime();
    const expiresAt = fetchedAt + this.#memory.ttlMs;
    const entry = toEntry(value, fetchedAt, expiresAt);
    await this.#persist(key, storageKey, entry);
    return { value: entry, fetchedAt, expiresAt };
  }

  async #readPersisted(key: string, storageKey: string): Promise<TTLEntry<PersistedCacheEntry<V>> | null> {
    const storage = this.#options.storage;
    if (!storage) return null;
    const corrupt = (reason: string) => {
      this.#options.onEvent?.({ type: "cache_entry_corrupt", namespace: this.namespace, key, reason });
      return null;
    };
    let text: string;
    try {
      const stored = await storage.get(storageKey);
      if (!stored) return null;
      text = bytesToText(stored.body);
    } catch (error) {
      // Unreadable (I/O error, invalid UTF-8): as good as absent for a cache.
      return corrupt(error instanceof Error ? error.message : "unreadable");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return corrupt("malformed JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return corrupt("not an object");
    const { value, fetched_at: fetchedText, expires_at: expiresText } = parsed as Record<string, unknown>;
    const fetchedAt = typeof fetchedText === "string" ? Date.parse(fetchedText) : Number.NaN;
    const expiresAt = typeof expiresText === "string" ? Date.parse(expiresText) : Number.NaN;
    if (!Number.isFinite(fetchedAt) || !Number.isFinite(expiresAt))
      return corrupt("bad fetched_at/expires_at");
    if (value === undefined) return corrupt("no value");
    const schema = this.#options.schema;
    if (schema) {
      const checked = schema.safeParse(value);
      if (!checked.success) return corrupt("value does not match the schema");
      return { value: toEntry(checked.data, fetchedAt, expiresAt), fetchedAt, expiresAt };
    }
    return { value: toEntry(value as V, fetchedAt, expiresAt), fetchedAt, expiresAt };
  }

  async #persist(key: string, storageKey: string, entry: PersistedCacheEntry<V>): Promise<void> {
    const storage = this.#options.storage;
    if (!storage) return;
    try {
      // Adapters with native expiry (Workers KV) drop the entry well after its own expiry, not
      // at it: an expired value is still the stale fallback while the provider is down.
      const expirationTtl = storage.capabilities.nativeTtl
        ? Math.max(60, Math.ceil((this.#memory.ttlMs * STALE_KEEP_FACTOR) / 1000))
        : undefined;
      await storage.put(
        storageKey,
        `${JSON.stringify(entry)}\n`,
        expirationTtl ? { expirationTtl } : undefined,
      );
    } catch (error) {
      this.#options.onEvent?.({ type: "cache_persist_failed", namespace: this.namespace, key, error });
    }
  }
}

/** Native-TTL stores keep an entry this many TTLs (a FRED value: a day; a quote: 24 minutes). */
const STALE_KEEP_FACTOR = 24;

function toEntry<V>(value: V, fetchedAt: number, expiresAt: number): PersistedCacheEntry<V> {
  return {
    value,
    fetched_at: new Date(fetchedAt).toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
  };
}
