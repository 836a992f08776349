import { z } from "zod";
import { NotConfiguredError, NotFoundError, UpstreamError, ValidationError } from "../errors/errors.ts";
import { ProviderHttp, type ProviderOptions } from "./provider-http.ts";

export const DEFAULT_FRED_BASE_URL = "https://api.stlouisfed.org/fred";

/**
 * FRED series ids: letters, digits and underscores (`CPIAUCSL`, `A191RL1Q225SBEA`), checked
 * before any URL is built. Lower case is accepted and upper-cased (FRED ids are case-insensitive).
 */
export const FRED_SERIES_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_]{0,63}$/;

/** FRED's `units` transforms (`lin` = levels, `pc1` = percent change from a year ago, …). */
export const FRED_UNITS = ["lin", "chg", "ch1", "pch", "pc1", "pca", "cch", "cca", "log"] as const;
export type FredUnits = (typeof FRED_UNITS)[number];

/** The latest observation of a series. */
export interface FredObservation {
  series_id: string;
  /** `YYYY-MM-DD`, as FRED gives it. */
  date: string;
  value: number;
}

export const fredObservationSchema = z.object({
  series_id: z.string(),
  date: z.string(),
  value: z.number(),
});

export interface FredClientOptions extends ProviderOptions {
  /** Without a key every call throws `NotConfiguredError`. */
  apiKey?: string | undefined;
  /** Default `https://api.stlouisfed.org/fred`. */
  baseUrl?: string | undefined;
  /** Observations asked for, newest first; the newest numeric one wins. Default 10. */
  lookback?: number;
}

const observationsSchema = z.object({
  observations: z.array(z.looseObject({ date: z.string(), value: z.string() })),
});

/** Upper-cases and checks a series id; `ValidationError` (`invalid_id`) when it does not match. */
export function normalizeSeriesId(seriesId: string): string {
  if (typeof seriesId !== "string" || !FRED_SERIES_ID_PATTERN.test(seriesId))
    throw new ValidationError(`invalid FRED series id ${JSON.stringify(String(seriesId).slice(0, 80))}`, {
      code: "invalid_id",
    });
  return seriesId.toUpperCase();
}

/** Checks a `units` transform; `ValidationError` when FRED has no such transform. */
export function assertFredUnits(units: string): asserts units is FredUnits {
  if (!(FRED_UNITS as readonly string[]).includes(units))
    throw new ValidationError(`invalid FRED units ${JSON.stringify(String(units).slice(0, 16))}`, {
      details: { allowed: FRED_UNITS },
    });
}

/**
 * FRED (`/series/observations`): the latest observation of a series. FRED marks a missing value
 * with `"."` (a holiday, a revision gap); those are skipped, newest first, over `lookback`
 * observations. 120 requests per minute by default (FRED's documented limit per key).
 */
export class FredClient {
  readonly #apiKey: string | undefined;
  readonly #baseUrl: string;
  readonly #lookback: number;
  readonly #http: ProviderHttp;

  constructor(options: FredClientOptions = {}) {
    this.#apiKey = options.apiKey || undefined;
    this.#baseUrl = (options.baseUrl || DEFAULT_FRED_BASE_URL).replace(/\/+$/, "");
    this.#lookback = options.lookback ?? 10;
    this.#http = new ProviderHttp("FRED", { ...options, budgetPerMinute: options.budgetPerMinute ?? 120 });
  }

  /** True when an API key is set. */
  get configured(): boolean {
    return this.#apiKey !== undefined;
  }

  /** `NotConfiguredError` unless an API key is set. */
  assertConfigured(): void {
    if (!this.#apiKey) throw new NotConfiguredError("FRED is not configured: set FRED_API_KEY");
  }

  /** The request budget (for stats and tests). */
  get budget(): ProviderHttp["budget"] {
    return this.#http.budget;
  }

  /**
   * The newest observation with a value. `NotConfiguredError` without a key, `ValidationError`
   * for a bad id or units, `NotFoundError` when FRED does not know the series, `UpstreamError`
   * (or `RateLimitedError`) when FRED fails.
   */
  async latest(seriesId: string, options: { units?: FredUnits } = {}): Promise<FredObservation> {
    const id = normalizeSeriesId(seriesId);
    const units = options.units ?? "lin";
    assertFredUnits(units);
    this.assertConfigured();
    const url = new URL(`${this.#baseUrl}/series/observations`);
    url.searchParams.set("series_id", id);
    url.searchParams.set("api_key", this.#apiKey!);
    url.searchParams.set("file_type", "json");
    url.searchParams.set("sort_order", "desc");
    url.searchParams.set("limit", String(this.#lookback));
    if (units !== "lin") url.searchParams.set("units", units);
    const what = `series ${id}`;
    const { status, body } = await this.#http.getJson(url, what);
    if (status === 400 || status === 404) {
      // FRED answers 400 "Bad Request. The series does not exist." for unknown ids.
      throw new NotFoundError(`FRED has no series ${id}`, { details: { series_id: id } });
    }
    if (status !== 200) {
      throw new UpstreamError("FRED", `FRED answered HTTP ${status} (${what})`, {
        status,
        details: { provider: "FRED", status },
      });
    }
    const parsed = observationsSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError("FRED", `FRED answered an unexpected body (${what})`);
    for (const observation of parsed.data.observations) {
      if (observation.value === ".") continue;
      const value = Number(observation.value);
      if (observation.value.trim() !== "" && Number.isFinite(value))
        return { series_id: id, date: observation.date, value };
    }
    throw new UpstreamError(
      "FRED",
      `FRED has no numeric value among the latest ${this.#lookback} observations (${what})`,
    );
  }
}
