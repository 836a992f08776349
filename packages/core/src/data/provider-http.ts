import { RateLimitedError, UpstreamError } from "../errors/errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { sleep as realSleep, type Sleep } from "../util/sleep.ts";
import { backoffDelay, parseRetryAfter, RequestBudget } from "./rate-limit.ts";

/** The `fetch` a data client uses: injected, so each runtime (and each test) passes its own. */
export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options shared by the data clients. */
export interface ProviderOptions {
  /** Default: the global `fetch`. */
  fetch?: Fetch;
  /** Per request, headers and body included. Default 10 s. */
  timeoutMs?: number;
  /** Requests allowed per minute (sliding window). */
  budgetPerMinute?: number;
  /** How long a request may wait for budget before failing with `rate_limited`. Default 5 s. */
  budgetMaxWaitMs?: number;
  /** Retries after an HTTP 429. Default 3. */
  maxRetries?: number;
  /** A 429 asking to wait longer than this is not retried: `rate_limited` at once. Default 30 s. */
  maxRetryWaitMs?: number;
  clock?: Clock;
  sleep?: Sleep;
  /** Randomness for backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** A provider's answer other than 429: its status and parsed JSON body. */
export interface ProviderResponse {
  status: number;
  body: unknown;
}

/**
 * The HTTP policy both data clients share: a request budget per minute, a timeout
 * (`AbortSignal.timeout`) per attempt, retries of HTTP 429 honouring `Retry-After` (or jittered
 * exponential backoff when it is absent), and typed errors whose messages never contain the URL
 * (it carries the API key).
 */
export class ProviderHttp {
  readonly provider: string;
  readonly budget: RequestBudget;
  readonly #fetch: Fetch;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryWaitMs: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #random: () => number;

  constructor(provider: string, options: ProviderOptions & { budgetPerMinute: number }) {
    this.provider = provider;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.budget = new RequestBudget({
      provider,
      perMinute: options.budgetPerMinute,
      clock: this.#clock,
      sleep: this.#sleep,
      ...(options.budgetMaxWaitMs === undefined ? {} : { maxWaitMs: options.budgetMaxWaitMs }),
    });
    // Bound late: a test or runtime may install `fetch` after this module loads.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /**
   * GETs `url` and parses its JSON body. `what` names the request in errors ("series CPIAUCSL").
   * Statuses other than 429 are returned for the client to interpret, except 5xx (an
   * `UpstreamError`); a body that is not JSON is an `UpstreamError` too.
   */
  async getJson(url: URL, what: string): Promise<ProviderResponse> {
    for (let attempt = 0; ; attempt++) {
      await this.budget.acquire();
      const response = await this.#send(url, what);
      if (response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        const asked = parseRetryAfter(response.headers.get("retry-after"), this.#clock.now().getTime());
        const wait = asked ?? backoffDelay(attempt, this.#random);
        if (attempt >= this.#maxRetries || wait > this.#maxRetryWaitMs) {
          throw new RateLimitedError(this.provider, `${this.provider} is rate limiting requests (${what})`, {
            retryAfterMs: wait,
            status: 429,
          });
        }
        await this.#sleep(wait);
        continue;
      }
      if (response.status >= 500) {
        await response.body?.cancel().catch(() => undefined);
        throw new UpstreamError(
          this.provider,
          `${this.provider} answered HTTP ${response.status} (${what})`,
          {
            status: response.status,
            details: { provider: this.provider, status: response.status },
          },
        );
      }
      return { status: response.status, body: await this.#readJson(response, what) };
    }
  }

  async #send(url: URL, what: string): Promise<Response> {
    try {
      return await this.#fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw this.#transportError(error, what);
    }
  }

  async #readJson(response: Response, what: string): Promise<unknown> {
    let text: string;
    try {
      // The timeout signal also covers the body: a provider that stalls mid-body times out too.
      text = await response.text();
    } catch (error) {
      throw this.#transportError(error, what);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new UpstreamError(
        this.provider,
        `${this.provider} answered HTTP ${response.status} with a body that is not JSON (${what})`,
        { status: response.status, details: { provider: this.provider, status: response.status } },
      );
    }
  }

  #transportError(error: unknown, what: string): UpstreamError {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return new UpstreamError(
        this.provider,
        `${this.provider} did not answer within ${this.#timeoutMs} ms (${what})`,
        { cause: error, details: { provider: this.provider, reason: "timeout" } },
      );
    }
    // The cause is kept for logs; the message is ours, so no URL (and no API key) leaks.
    return new UpstreamError(this.provider, `${this.provider} is unreachable (${what})`, {
      cause: error,
      details: { provider: this.provider, reason: "network" },
    });
  }
}
