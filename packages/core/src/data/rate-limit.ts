import { RateLimitedError, ValidationError } from "../errors/errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { sleep as realSleep, type Sleep } from "../util/sleep.ts";

const WINDOW_MS = 60_000;

export interface RequestBudgetOptions {
  /** Provider name, for errors. */
  provider: string;
  /** Requests allowed in any 60-second window. */
  perMinute: number;
  /**
   * How long `acquire` may wait for a slot before giving up with `rate_limited`. Default 5 s:
   * a scheduled refresh rides out a short burst, an HTTP caller is not held for a minute.
   */
  maxWaitMs?: number;
  clock?: Clock;
  sleep?: Sleep;
}

/**
 * A per-provider request budget: at most `perMinute` requests in any sliding 60-second window
 * (a log of the last `perMinute` start times, so a burst at the end of one minute and another at
 * the start of the next cannot double the rate, as a fixed window would allow).
 */
export class RequestBudget {
  readonly provider: string;
  readonly perMinute: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  /** Start times (ms) of the requests in the current window, oldest first. */
  readonly #starts: number[] = [];

  constructor(options: RequestBudgetOptions) {
    if (!(Number.isInteger(options.perMinute) && options.perMinute >= 1))
      throw new ValidationError("perMinute must be a positive integer");
    this.provider = options.provider;
    this.perMinute = options.perMinute;
    this.#maxWaitMs = options.maxWaitMs ?? 5_000;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
  }

  /** Requests started in the last 60 seconds. */
  get used(): number {
    this.#prune(this.#clock.now().getTime());
    return this.#starts.length;
  }

  /**
   * Takes one request slot, waiting (at most `maxWaitMs`) for the oldest request of the window to
   * age out. Throws `RateLimitedError` with `retryAfterMs` when the wait would be longer.
   */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.#clock.now().getTime();
      this.#prune(now);
      // Check and take in one synchronous step: concurrent callers cannot both take the last slot.
      if (this.#starts.length < this.perMinute) {
        this.#starts.push(now);
        return;
      }
      const wait = this.#starts[0]! + WINDOW_MS - now;
      if (wait > this.#maxWaitMs) {
        throw new RateLimitedError(
          this.provider,
          `${this.provider}: request budget of ${this.perMinute} per minute used up`,
          { retryAfterMs: wait },
        );
      }
      await this.#sleep(wait);
    }
  }

  #prune(now: number): void {
    while (this.#starts.length > 0 && this.#starts[0]! <= now - WINDOW_MS) this.#starts.shift();
  }
}

/**
 * The delay an HTTP `Retry-After` header asks for, in ms: delta-seconds or an HTTP date
 * (RFC 9110 §10.2.3). `null` when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // Only something shaped like an HTTP date: V8's Date.parse also reads "-3" as a year.
  if (!/^[A-Za-z]{3},? /.test(text)) return null;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/**
 * Exponential backoff with jitter: `baseMs * 2^attempt`, capped at `maxMs`, then scaled by a
 * random factor in [0.5, 1) so that callers who failed together do not retry together.
 */
export function backoffDelay(attempt: number, random: () => number, baseMs = 500, maxMs = 8_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}
