import { type CacheEvent, ReadThroughCache } from "../cache/read-through-cache.ts";
import type { CacheStats } from "../cache/ttl-cache.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import type { Clock } from "../util/clock.ts";
import {
  assertFredUnits,
  FredClient,
  type FredObservation,
  type FredUnits,
  fredObservationSchema,
  normalizeSeriesId,
} from "./fred-client.ts";
import type { ProviderOptions } from "./provider-http.ts";
import { normalizeSymbol, type Quote, QuoteClient, quoteSchema } from "./quote-client.ts";

/** `GET /api/data/fred/:series_id` (SPEC section 5). */
export interface FredSeriesResponse {
  series_id: string;
  date: string;
  value: number;
  cached: boolean;
  stale: boolean;
  fetched_at: string;
}

/** `GET /api/data/quotes/:symbol` (SPEC section 5). */
export interface QuoteResponse {
  symbol: string;
  price: number;
  change: number;
  change_percent: number;
  timestamp: string;
  cached: boolean;
  stale: boolean;
  fetched_at: string;
}

export const FRED_TTL_MS = 60 * 60 * 1000;
export const QUOTE_TTL_MS = 60 * 1000;

export interface MarketDataOptions {
  fred: FredClient;
  quotes: QuoteClient;
  /** Where cache entries persist (`cache/fred/…`, `cache/quotes/…`). Memory only without it. */
  storage?: StorageAdapter;
  clock?: Clock;
  /** Default 1 hour. */
  fredTtlMs?: number;
  /** Default 60 seconds. */
  quoteTtlMs?: number;
  /** Entries kept in memory per namespace. Default 1000. */
  maxEntries?: number;
  onEvent?: (event: CacheEvent) => void;
}

/** `MarketData.create`: keys and base URLs as the environment gives them (SPEC section 2). */
export interface MarketDataConfig extends ProviderOptions {
  fredApiKey?: string | undefined;
  fredBaseUrl?: string | undefined;
  fmpApiKey?: string | undefined;
  fmpBaseUrl?: string | undefined;
  storage?: StorageAdapter;
  fredTtlMs?: number;
  quoteTtlMs?: number;
  maxEntries?: number;
  onEvent?: (event: CacheEvent) => void;
}

/**
 * The data capabilities of SPEC section 5: FRED series and market quotes, each behind a
 * `ReadThroughCache` (namespaces `fred`, TTL 1 h, and `quotes`, TTL 60 s), answering in exactly
 * the SPEC shapes. Ids are checked first (400), then configuration (503 `not_configured`).
 */
export class MarketData {
  readonly fred: FredClient;
  readonly quotes: QuoteClient;
  readonly fredCache: ReadThroughCache<FredObservation>;
  readonly quoteCache: ReadThroughCache<Quote>;

  constructor(options: MarketDataOptions) {
    this.fred = options.fred;
    this.quotes = options.quotes;
    const shared = {
      ...(options.storage ? { storage: options.storage } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    };
    this.fredCache = new ReadThroughCache<FredObservation>({
      ...shared,
      namespace: "fred",
      ttlMs: options.fredTtlMs ?? FRED_TTL_MS,
      schema: fredObservationSchema,
      fetcher: (key) => {
        // Keys are `<SERIES>` or `<SERIES>.<units>` (see `fredKey`).
        const [id, units] = key.split(".");
        if (units !== undefined) assertFredUnits(units);
        return this.fred.latest(id!, units === undefined ? {} : { units });
      },
    });
    this.quoteCache = new ReadThroughCache<Quote>({
      ...shared,
      namespace: "quotes",
      ttlMs: options.quoteTtlMs ?? QUOTE_TTL_MS,
      schema: quoteSchema,
      fetcher: (symbol) => this.quotes.quote(symbol),
    });
  }

  /** Builds both clients from keys and base URLs; `ProviderOptions` apply to both. */
  static create(config: MarketDataConfig): MarketData {
    const {
      fredApiKey,
      fredBaseUrl,
      fmpApiKey,
      fmpBaseUrl,
      storage,
      fredTtlMs,
      quoteTtlMs,
      maxEntries,
      onEvent,
    } = config;
    const provider: ProviderOptions = { ...config };
    return new MarketData({
      fred: new FredClient({ ...provider, apiKey: fredApiKey, baseUrl: fredBaseUrl }),
      quotes: new QuoteClient({ ...provider, apiKey: fmpApiKey, baseUrl: fmpBaseUrl }),
      ...(storage ? { storage } : {}),
      ...(config.clock ? { clock: config.clock } : {}),
      ...(fredTtlMs === undefined ? {} : { fredTtlMs }),
      ...(quoteTtlMs === undefined ? {} : { quoteTtlMs }),
      ...(maxEntries === undefined ? {} : { maxEntries }),
      ...(onEvent ? { onEvent } : {}),
    });
  }

  /** The latest observation of a FRED series (optionally a `units` transform such as `pc1`). */
  async fredSeries(seriesId: string, options: { units?: FredUnits } = {}): Promise<FredSeriesResponse> {
    const id = normalizeSeriesId(seriesId);
    const units = options.units ?? "lin";
    assertFredUnits(units);
    this.fred.assertConfigured();
    const r = await this.fredCache.get(units === "lin" ? id : `${id}.${units}`);
    return {
      series_id: id,
      date: r.value.date,
      value: r.value.value,
      cached: r.cached,
      stale: r.stale,
      fetched_at: r.fetched_at,
    };
  }

  /** The current quote of a symbol. */
  async quote(symbol: string): Promise<QuoteResponse> {
    const id = normalizeSymbol(symbol);
    this.quotes.assertConfigured();
    const r = await this.quoteCache.get(id);
    return {
      symbol: r.value.symbol,
      price: r.value.price,
      change: r.value.change,
      change_percent: r.value.change_percent,
      timestamp: r.value.timestamp,
      cached: r.cached,
      stale: r.stale,
      fetched_at: r.fetched_at,
    };
  }

  /** Per namespace: `{hits, misses, stale_served, entries, inflight_joined, evictions}`. */
  cacheStats(): Record<string, CacheStats> {
    return { fred: this.fredCache.stats(), quotes: this.quoteCache.stats() };
  }
}
