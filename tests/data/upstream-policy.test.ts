/**
 * Issue 6: single-flight (100 concurrent requests → one upstream request), 429 with Retry-After
 * honoured, the per-minute budget never exceeded (counted by the fake server per window of the
 * injected clock), and a slow upstream hitting the timeout — all against real HTTP fakes.
 */
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "./fake-upstreams.ts";
import { useHarness } from "./suite.ts";

const { fred, fmp, harness } = useHarness();

/** The most requests that arrived within any 60-second window. */
function maxPerWindow(requests: readonly RecordedRequest[], windowMs = 60_000): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let best = 0;
  for (const [i, t] of times.entries()) {
    const inWindow = times.slice(i).filter((u) => u < t + windowMs).length;
    best = Math.max(best, inWindow);
  }
  return best;
}

describe("single-flight", () => {
  it("100 concurrent requests for one symbol make exactly one upstream request", async () => {
    fmp.set("AAPL", 255.5);
    fmp.behaviour.delayMs = 100; // so every request arrives while the first is in flight
    const h = await harness();
    const responses = await Promise.all(Array.from({ length: 100 }, () => h.get("/api/data/quotes/AAPL")));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => (r.body as { price: number }).price))).toEqual(new Set([255.5]));
    expect(fmp.count("AAPL")).toBe(1);
    expect((await h.get("/api/cache/stats")).body).toMatchObject({
      quotes: { misses: 1, inflight_joined: 99, hits: 0 },
    });
  });

  it("concurrent misses for one FRED series share one request, and the failure too", async () => {
    fred.behaviour.delayMs = 50;
    fred.behaviour.failWith = 500;
    const h = await harness();
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.get("/api/data/fred/GDP")));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(502));
    expect(fred.count("GDP")).toBe(1);
  });
});

describe("HTTP 429", () => {
  it("waits as long as Retry-After says, then succeeds", async () => {
    fmp.set("MSFT", 410);
    fmp.behaviour.rateLimitNext = 2;
    fmp.behaviour.retryAfter = "7";
    const h = await harness();
    const res = await h.get("/api/data/quotes/MSFT");
    expect(res.status).toBe(200);
    expect(h.waits).toEqual([7_000, 7_000]);
    const arrivals = fmp.requests.map((r) => r.at);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(7_000);
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(7_000);
  });

  it("understands Retry-After as an HTTP date", async () => {
    fred.set("GDP", ["2025-10-01", "2.4"]);
    fred.behaviour.rateLimitNext = 1;
    const h = await harness();
    fred.behaviour.retryAfter = new Date(h.clock.now().getTime() + 12_000).toUTCString();
    expect((await h.get("/api/data/fred/GDP")).status).toBe(200);
    expect(h.waits).toEqual([12_000]);
  });

  it("backs off exponentially with jitter when Retry-After is absent, then gives up: 503 rate_limited", async () => {
    fmp.behaviour.rateLimitNext = 100;
    const h = await harness({ market: { maxRetries: 3 } });
    const res = await h.get("/api/data/quotes/AMZN");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // random() = 0.5 → 75% of 500·2^attempt
    expect(h.waits).toEqual([375, 750, 1_500]);
    expect(fmp.count("AMZN")).toBe(4);
  });

  it("does not sit out a Retry-After longer than maxRetryWaitMs; a cached value is served stale instead", async () => {
    fmp.set("META", 600);
    const h = await harness();
    await h.get("/api/data/quotes/META");
    h.clock.advance(61_000);
    fmp.behaviour.rateLimitNext = 1;
    fmp.behaviour.retryAfter = "3600";
    const res = await h.get("/api/data/quotes/META");
    expect(res.body).toMatchObject({ price: 600, stale: true });
    expect(h.waits).toEqual([]);
  });
});

describe("per-minute budget", () => {
  it("never lets more than the budget reach the provider in any 60-second window", async () => {
    const symbols = Array.from({ length: 17 }, (_, i) => `S${i}`);
    for (const s of symbols) fmp.set(s, 100 + symbols.indexOf(s));
    const h = await harness({ market: { budgetPerMinute: 5, budgetMaxWaitMs: 60_000 } });
    for (const s of symbols) {
      const res = await h.get(`/api/data/quotes/${s}`);
      expect(res.status, s).toBe(200);
      h.clock.advance(500); // callers arrive far faster than 5 a minute
    }
    expect(fmp.count()).toBe(17);
    expect(maxPerWindow(fmp.requests)).toBe(5);
    // The requests were spread out by waiting, not refused: 17 at 5/min needs 3 more minutes.
    const span = fmp.requests.at(-1)!.at - fmp.requests[0]!.at;
    expect(span).toBeGreaterThanOrEqual(3 * 60_000);
  });

  it("refuses at once with 503 rate_limited and Retry-After when the wait would be too long", async () => {
    const symbols = Array.from({ length: 12 }, (_, i) => `T${i}`);
    for (const s of symbols) fmp.set(s, 1);
    const h = await harness({ market: { budgetPerMinute: 5, budgetMaxWaitMs: 0 } });
    const responses = await Promise.all(symbols.map((s) => h.get(`/api/data/quotes/${s}`)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 503)).toHaveLength(7);
    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(fmp.count()).toBe(5);
  });

  it("counts the FRED and FMP budgets separately", async () => {
    fred.set("GDP", ["2025-10-01", "2.4"]);
    fmp.set("AAPL", 1);
    const h = await harness({ market: { budgetPerMinute: 1, budgetMaxWaitMs: 0 } });
    expect((await h.get("/api/data/fred/GDP")).status).toBe(200);
    expect((await h.get("/api/data/quotes/AAPL")).status).toBe(200);
  });
});

describe("timeouts", () => {
  it("a slow upstream hits the timeout and is reported as upstream_error (502)", async () => {
    fred.set("DGS10", ["2026-02-27", "4.21"]);
    fred.behaviour.delayMs = 2_000;
    const h = await harness({ market: { timeoutMs: 150 } });
    const started = performance.now();
    const res = await h.get("/api/data/fred/DGS10");
    const elapsed = performance.now() - started;
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ error: { code: "upstream_error" } });
    expect((res.body as { error: { message: string } }).error.message).toMatch(
      /did not answer within 150 ms/,
    );
    expect(elapsed).toBeLessThan(1_500);
    await expect(h.market.fred.latest("DGS10")).rejects.toMatchObject({
      code: "upstream_error",
      details: { reason: "timeout" },
    });
  });

  it("a timed-out refresh still serves the last value stale", async () => {
    fred.set("DGS10", ["2026-02-27", "4.21"]);
    const h = await harness({ market: { timeoutMs: 150 } });
    await h.get("/api/data/fred/DGS10");
    h.clock.advance(60 * 60_000);
    fred.behaviour.delayMs = 2_000;
    expect((await h.get("/api/data/fred/DGS10")).body).toMatchObject({ value: 4.21, stale: true });
  });
});
