/** Retry pacing for compare-and-swap conflicts ("full jitter" exponential backoff). */
export interface BackoffPolicy {
  /** Attempts in all (the first one included) before giving up with a conflict. */
  readonly maxAttempts: number;
  /** Upper bound of the first wait; doubles per attempt. */
  readonly baseMs: number;
  /** Upper bound of any single wait. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 12, baseMs: 8, capMs: 400 };

/**
 * The wait before attempt `attempt + 1`: uniformly random in [0, min(cap, base·2^(attempt-1))].
 * Randomness spreads writers that collided apart, so the next round has fewer collisions.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });
