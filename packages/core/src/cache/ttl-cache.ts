import { LRUCache } from "lru-cache";
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
 *
 * Recency, eviction and expiry are `lru-cache`'s (its hit path is a Map lookup and an index-array
 * move; it has no dependencies and runs on every runtime core supports). Its slots are allocated
 * up front: `maxEntries` is memory reserved, not only a bound. An entry is in one of three states:
 * fresh (`lru-cache` returns it from `get`/`has`), stale (`lru-cache` still holds it but hides it
 * unless asked with `allowStale`), or evicted (gone).
 */
export class TTLCache<V> {
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #lru: LRUCache<string, TTLEntry<V>>;
  readonly #inflight = new Map<string, Promise<FetchResult<V>>>();
  readonly #stats = { hits: 0, misses: 0, stale_served: 0, inflight_joined: 0, evictions: 0 };

  constructor(options: TTLCacheOptions) {
    if (!(Number.isFinite(options.ttlMs) && options.ttlMs > 0))
      throw new ValidationError("ttlMs must be a positive number of milliseconds");
    const max = options.maxEntries ?? 1000;
    if (!(Number.isInteger(max) && max >= 1))
      throw new ValidationError("maxEntries must be a positive integer");
    this.#ttlMs = options.ttlMs;
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    const onEvict = options.onEvict;
    this.#lru = new LRUCache<string, TTLEntry<V>>({
      max,
      // lru-cache reads time through `perf.now()`. `Date.now()` is what the system clock's
      // `now().getTime()` returns, without allocating a Date on every lookup.
      perf: clock === systemClock ? Date : { now: () => clock.now().getTime() },
      // Read the clock on every lookup. lru-cache's default (1) reuses a reading until a 1 ms
      // timer clears it: a ManualClock's advance() would go unseen, and on Workers a timer left
      // pending when the request ends may never fire (timers belong to the request), freezing
      // time for this cache and every entry in it.
      ttlResolution: 0,
      // An expired entry stays until evicted: it is the stale-if-error fallback.
      noDeleteOnStaleGet: true,
      // After, not during, the set that evicted: `onEvict` then sees the cache with the new entry
      // in it, as it did before lru-cache. Replacements ("set") and deletions are not evictions.
      disposeAfter: (entry, key, reason) => {
        if (reason !== "evict") return;
        this.#stats.evictions++;
        onEvict?.(key, entry);
      },
    });
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Entries in memory, fresh or expired. */
  get size(): number {
    return this.#lru.size;
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  /** The entry under `key` even if expired; recency unchanged. */
  #held(key: string): TTLEntry<V> | undefined {
    // A fresh options object each time: lru-cache writes a `status` field into the one it is given.
    return this.#lru.peek(key, { allowStale: true });
  }

  /** The fresh value under `key` (counted as a hit or a miss), or `undefined`. */
  get(key: string): V | undefined {
    // Marks the entry most recently used only when it is fresh, as before.
    const entry = this.#lru.get(key);
    if (entry !== undefined) {
      this.#stats.hits++;
      return entry.value;
    }
    this.#stats.misses++;
    return undefined;
  }

  /** True when a fresh entry exists. Not counted, recency unchanged. */
  has(key: string): boolean {
    return this.#lru.has(key);
  }

  /** The entry under `key`, fresh or expired. Not counted, recency unchanged. */
  peek(key: string): TTLEntry<V> | undefined {
    return this.#held(key);
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
    this.#lru.set(key, entry, lruExpiry(expiresAt));
    return entry;
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  /** Drops every entry (counters are kept). */
  clear(): void {
    this.#lru.clear();
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
    const entry = this.#lru.get(key);
    if (entry !== undefined) {
      this.#stats.hits++;
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
    const started = this.#load(key, this.#held(key), load, options).finally(() => this.#inflight.delete(key));
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
      const fallback = this.#held(key) ?? previous;
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
    return { ...this.#stats, entries: this.#lru.size };
  }
}

/**
 * lru-cache's TTL for an entry that is fresh while `now < expiresAt`.
 *
 * lru-cache calls an entry stale once `now - start > ttl`, and reads a `start` or `ttl` of 0 as
 * "never expires". Clock readings are whole milliseconds (`Date#getTime`), so `now < expiresAt`
 * holds exactly when `now <= deadline`, with `deadline = ceil(expiresAt) - 1`; `start = deadline
 * - 1` and `ttl = 1` turn lru-cache's test into `now > deadline`, in integers (exact: every Date
 * is a safe integer of milliseconds). An `expiresAt` of NaN compares false, i.e. always expired.
 */
function lruExpiry(expiresAt: number): { start: number; ttl: number } {
  const deadline = Number.isNaN(expiresAt) ? Number.NEGATIVE_INFINITY : Math.ceil(expiresAt) - 1;
  // `deadline - 1` is 0 only for a deadline 1 ms after 1970 began; shift both to keep start non-zero.
  return deadline === 1 ? { start: -1, ttl: 2 } : { start: deadline - 1, ttl: 1 };
}
