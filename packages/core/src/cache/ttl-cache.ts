import { ValidationError } from "../errors/errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";

/** One cached value with its times (milliseconds since the epoch). */
export interface TTLEntry<V> {
  readonly value: V;
  readonly fetchedAt: number;
  /** The entry is fresh while `now < expiresAt`; after that it is kept only as a stale fallback. */
  readonly expiresAt: number;
}

/** Counters of one cache (SPEC section 5, `GET /api/cache/stats`, plus `evictions`). */
export interface CacheStats {
  /** Lookups answered from a cache tier (memory, or a lower tier reported by the loader). */
  hits: number;
  /** Lookups that had to go to the origin. */
  misses: number;
  /** Lookups answered with an expired value because the origin failed. */
  stale_served: number;
  /** Entries held in memory now (fresh or expired). */
  entries: number;
  /** Lookups that joined a load already in flight for the same key (single-flight). */
  inflight_joined: number;
  /** Entries dropped because the cache was full (least recently used first). */
  evictions: number;
}

/** What a loader passed to `TTLCache.fetch` returns. */
export interface Loaded<V> {
  value: V;
  /** Default: now. */
  fetchedAt?: number;
  /** Default: `fetchedAt` + the entry's TTL. */
  expiresAt?: number;
  /** The value came from a lower cache tier (persisted storage), not the origin: counts as a hit. */
  fromCache?: boolean;
  /** The loader fell back to an expired value because the origin failed: counts as stale served. */
  stale?: boolean;
}

/** The answer of `TTLCache.fetch`. */
export interface FetchResult<V> extends TTLEntry<V> {
  /** `false` only when this lookup's value was just fetched from the origin. */
  cached: boolean;
  /** The value is past its TTL (served because the origin failed). */
  stale: boolean;
}

export interface TTLCacheOptions {
  /** Default time to live of an entry, in milliseconds. */
  ttlMs: number;
  /** Entries kept in memory; past it the least recently used one is evicted. Default 1000. */
  maxEntries?: number;
  clock?: Clock;
  /** Called for every capacity eviction. */
  onEvict?: (key: string, entry: TTLEntry<unknown>) => void;
}

export interface TTLCacheFetchOptions {
  /**
   * Whether an expired entry may be served when the loader fails with `error`. Default: always.
   * Say no for errors that are the caller's fault (an unknown series), not the origin's.
   */
  staleIfError?: (error: unknown) => boolean;
}

/**
 * An in-memory cache with a TTL per entry, a bound on entries (LRU eviction), an injected clock,
 * and counters. `fetch` adds read-through loading with single-flight (concurrent misses for one
 * key share one load) and stale-if-error (the last value, even expired, when the load fails).
 *
 * Expired entries are kept, not dropped, precisely so they can be served stale; they still count
 * towards `maxEntries` and are evicted like any other when they are the least recently used.
 */
export class TTLCache<V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #onEvict: TTLCacheOptions["onEvict"];
  /** Insertion order is recency order: the first key is the least recently used. */
  readonly #entries = new Map<string, TTLEntry<V>>();
  readonly #inflight = new Map<string, Promise<FetchResult<V>>>();
  readonly #stats = { hits: 0, misses: 0, stale_served: 0, inflight_joined: 0, evictions: 0 };

  constructor(options: TTLCacheOptions) {
    if (!(Number.isFinite(options.ttlMs) && options.ttlMs > 0))
      throw new ValidationError("ttlMs must be a positive number of milliseconds");
    const max = options.maxEntries ?? 1000;
    if (!(Number.isInteger(max) && max >= 1))
      throw new ValidationError("maxEntries must be a positive integer");
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = max;
    this.#clock = options.clock ?? systemClock;
    this.#onEvict = options.onEvict;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Entries in memory, fresh or expired. */
  get size(): number {
    return this.#entries.size;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  /** The fresh value under `key` (counted as a hit or a miss), or `undefined`. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#now() < entry.expiresAt) {
      this.#stats.hits++;
      this.#touch(key, entry);
      return entry.value;
    }
    this.#stats.misses++;
    return undefined;
  }

  /** True when a fresh entry exists. Not counted, recency unchanged. */
  has(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && this.#now() < entry.expiresAt;
  }

  /** The entry under `key`, fresh or expired. Not counted, recency unchanged. */
  peek(key: string): TTLEntry<V> | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used past the bound. */
  set(
    key: string,
    value: V,
    options: { ttlMs?: number; fetchedAt?: number; expiresAt?: number } = {},
  ): TTLEntry<V> {
    const fetchedAt = options.fetchedAt ?? this.#now();
    const expiresAt = options.expiresAt ?? fetchedAt + (options.ttlMs ?? this.#ttlMs);
    const entry: TTLEntry<V> = { value, fetchedAt, expiresAt };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, TTLEntry<V>];
      this.#entries.delete(oldestKey);
      this.#stats.evictions++;
      this.#onEvict?.(oldestKey, oldest);
    }
    return entry;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Drops every entry (counters are kept). */
  clear(): void {
    this.#entries.clear();
  }

  /**
   * The value under `key`: fresh from memory, else from `load` — called once however many
   * callers miss concurrently — else, when `load` fails and an expired entry exists (and
   * `staleIfError` agrees), that entry marked `stale`. Without one, the load's error is thrown.
   */
  fetch(
    key: string,
    load: (previous: TTLEntry<V> | undefined) => Promise<Loaded<V>>,
    options: TTLCacheFetchOptions = {},
  ): Promise<FetchResult<V>> {
    const entry = this.#entries.get(key);
    if (entry && this.#now() < entry.expiresAt) {
      this.#stats.hits++;
      this.#touch(key, entry);
      // A literal, not a spread: this is the hot path of every cached lookup.
      return Promise.resolve({
        value: entry.value,
        fetchedAt: entry.fetchedAt,
        expiresAt: entry.expiresAt,
        cached: true,
        stale: false,
      });
    }
    const pending = this.#inflight.get(key);
    if (pending) {
      this.#stats.inflight_joined++;
      return pending;
    }
    const started = this.#load(key, entry, load, options).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, started);
    return started;
  }

  async #load(
    key: string,
    previous: TTLEntry<V> | undefined,
    load: (previous: TTLEntry<V> | undefined) => Promise<Loaded<V>>,
    options: TTLCacheFetchOptions,
  ): Promise<FetchResult<V>> {
    let loaded: Loaded<V>;
    try {
      loaded = await load(previous);
    } catch (error) {
      this.#stats.misses++;
      // Re-read: the entry may have been evicted or replaced while the load ran.
      const fallback = this.#entries.get(key) ?? previous;
      if (fallback && (options.staleIfError?.(error) ?? true)) {
        this.#stats.stale_served++;
        return { ...fallback, cached: true, stale: true };
      }
      throw error;
    }
    const stored = this.set(key, loaded.value, {
      ...(loaded.fetchedAt === undefined ? {} : { fetchedAt: loaded.fetchedAt }),
      ...(loaded.expiresAt === undefined ? {} : { expiresAt: loaded.expiresAt }),
    });
    if (loaded.fromCache === true) this.#stats.hits++;
    else this.#stats.misses++;
    const stale = loaded.stale === true;
    if (stale) this.#stats.stale_served++;
    return { ...stored, cached: loaded.fromCache === true || stale, stale };
  }

  /** A copy of the counters. */
  stats(): CacheStats {
    return { ...this.#stats, entries: this.#entries.size };
  }

  #touch(key: string, entry: TTLEntry<V>): void {
    // Map keeps insertion order: re-inserting makes `key` the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }
}
