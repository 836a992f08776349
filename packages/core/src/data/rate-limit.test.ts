import { describe, expect, it } from "vitest";
import { RateLimitedError } from "../errors/errors.ts";
import { ManualClock } from "../util/clock.ts";
import { backoffDelay, parseRetryAfter, RequestBudget } from "./rate-limit.ts";

/** A sleep that moves the manual clock instead of waiting, and remembers what it was asked. */
function manualSleep(clock: ManualClock) {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    clock.advance(ms);
  };
  return { waits, sleep };
}

describe("RequestBudget", () => {
  it("never lets more than perMinute requests start in any 60-second window", async () => {
    const clock = new ManualClock();
    const { sleep } = manualSleep(clock);
    const budget = new RequestBudget({ provider: "P", perMinute: 5, clock, sleep, maxWaitMs: 60_000 });
    const starts: number[] = [];
    for (let i = 0; i < 23; i++) {
      await budget.acquire();
      starts.push(clock.now().getTime());
      clock.advance(1_000); // one request a second: well above 5 a minute
    }
    for (const [i, t] of starts.entries()) {
      const inWindow = starts.filter((s) => s >= t && s < t + 60_000).length;
      expect(inWindow, `window starting at request ${i}`).toBeLessThanOrEqual(5);
    }
    // And the budget was used, not just refused: 5 per minute over the run.
    const span = starts[starts.length - 1]! - starts[0]!;
    expect(span).toBeGreaterThanOrEqual(4 * 60_000);
    expect(span).toBeLessThan(5 * 60_000);
  });

  it("throws rate_limited with retryAfterMs when the wait would exceed maxWaitMs", async () => {
    const clock = new ManualClock();
    const { sleep, waits } = manualSleep(clock);
    const budget = new RequestBudget({ provider: "P", perMinute: 2, clock, sleep, maxWaitMs: 1_000 });
    await budget.acquire();
    clock.advance(10_000);
    await budget.acquire();
    const error = await budget.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: "rate_limited", retryAfterMs: 50_000, provider: "P" });
    expect(waits).toEqual([]);
    expect(budget.used).toBe(2);
    clock.advance(49_500);
    await budget.acquire(); // 500 ms to wait: within maxWaitMs
    expect(waits).toEqual([500]);
  });

  it("does not hand the last slot to two concurrent callers", async () => {
    const clock = new ManualClock();
    const { sleep } = manualSleep(clock);
    const budget = new RequestBudget({ provider: "P", perMinute: 3, clock, sleep, maxWaitMs: 0 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => budget.acquire()));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
  });
});

describe("parseRetryAfter / backoffDelay", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-3", now)).toBeNull();
  });

  it("grows exponentially, is capped, and is jittered within [half, full)", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 0.999999)).toBe(500);
    expect(backoffDelay(3, () => 0)).toBe(2_000);
    expect(backoffDelay(20, () => 0.5)).toBe(6_000);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(2, () => i / 20)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
