import { z } from "zod";
import { NotConfiguredError, NotFoundError, UpstreamError, ValidationError } from "../errors/errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { ProviderHttp, type ProviderOptions } from "./provider-http.ts";

export const DEFAULT_FMP_BASE_URL = "https://financialmodelingprep.com/api";

/**
 * Ticker symbols: letters and digits in groups joined by single `.` or `-` (`AAPL`, `BRK-B`,
 * `BRK.B`), at most 15 characters, checked before any URL is built. Lower case is upper-cased.
 */
export const SYMBOL_PATTERN = /^(?=.{1,15}$)[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$/;

/** A market quote. */
export interface Quote {
  symbol: string;
  price: number;
  change: number;
  change_percent: number;
  /** ISO 8601: the provider's quote time (FMP's unix `timestamp`). */
  timestamp: string;
}

export const quoteSchema = z.object({
  symbol: z.string(),
  price: z.number(),
  change: z.number(),
  change_percent: z.number(),
  timestamp: z.string(),
});

export interface QuoteClientOptions extends ProviderOptions {
  /** Without a key every call throws `NotConfiguredError`. */
  apiKey?: string | undefined;
  /** Default `https://financialmodelingprep.com/api`. */
  baseUrl?: string | undefined;
}

const fmpQuoteSchema = z.array(
  z.looseObject({
    symbol: z.string(),
    price: z.number(),
    change: z.number().nullable().optional(),
    changesPercentage: z.number().nullable().optional(),
    timestamp: z.number().nullable().optional(),
  }),
);

/** Upper-cases and checks a symbol; `ValidationError` (`invalid_id`) when it does not match. */
export function normalizeSymbol(symbol: string): string {
  if (typeof symbol !== "string" || !SYMBOL_PATTERN.test(symbol))
    throw new ValidationError(`invalid symbol ${JSON.stringify(String(symbol).slice(0, 80))}`, {
      code: "invalid_id",
    });
  return symbol.toUpperCase();
}

/**
 * Market quotes from Financial Modeling Prep (`v3/quote/{symbol}`). 60 requests per minute by
 * default — adjust `budgetPerMinute` to the plan of the key.
 */
export class QuoteClient {
  readonly #apiKey: string | undefined;
  readonly #baseUrl: string;
  readonly #http: ProviderHttp;
  readonly #clock: Clock;

  constructor(options: QuoteClientOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#apiKey = options.apiKey || undefined;
    this.#baseUrl = (options.baseUrl || DEFAULT_FMP_BASE_URL).replace(/\/+$/, "");
    this.#http = new ProviderHttp("FMP", { ...options, budgetPerMinute: options.budgetPerMinute ?? 60 });
  }

  /** True when an API key is set. */
  get configured(): boolean {
    return this.#apiKey !== undefined;
  }

  /** `NotConfiguredError` unless an API key is set. */
  assertConfigured(): void {
    if (!this.#apiKey) throw new NotConfiguredError("market quotes are not configured: set FMP_API_KEY");
  }

  get budget(): ProviderHttp["budget"] {
    return this.#http.budget;
  }

  /**
   * The current quote. `NotConfiguredError` without a key, `ValidationError` for a bad symbol,
   * `NotFoundError` when FMP knows no such symbol, `UpstreamError`/`RateLimitedError` when FMP fails.
   */
  async quote(symbol: string): Promise<Quote> {
    const id = normalizeSymbol(symbol);
    this.assertConfigured();
    // The pattern admits no character that needs encoding; encode anyway, defence in depth.
    const url = new URL(`${this.#baseUrl}/v3/quote/${encodeURIComponent(id)}`);
    url.searchParams.set("apikey", this.#apiKey!);
    const what = `quote ${id}`;
    const { status, body } = await this.#http.getJson(url, what);
    if (status !== 200) {
      // 401/403: the key is set but refused — the provider's answer, not the caller's mistake.
      throw new UpstreamError("FMP", `FMP answered HTTP ${status} (${what})`, {
        status,
        details: { provider: "FMP", status },
      });
    }
    const parsed = fmpQuoteSchema.safeParse(body);
    if (!parsed.success) {
      // FMP reports some failures (limits, bad keys) as 200 with {"Error Message": "…"}.
      throw new UpstreamError("FMP", `FMP answered an unexpected body (${what})`);
    }
    const found = parsed.data.find((q) => q.symbol.toUpperCase() === id);
    if (!found) throw new NotFoundError(`FMP has no quote for ${id}`, { details: { symbol: id } });
    // A missing or absurd quote time falls back to now rather than failing a good price.
    const seconds = found.timestamp;
    const at =
      typeof seconds === "number" && seconds > 0 && seconds < 1e11
        ? seconds * 1000
        : this.#clock.now().getTime();
    return {
      symbol: id,
      price: found.price,
      change: found.change ?? 0,
      change_percent: found.changesPercentage ?? 0,
      timestamp: new Date(at).toISOString(),
    };
  }
}
