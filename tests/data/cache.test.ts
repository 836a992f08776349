/**
 * Issue 6, clock-driven cache tests through the HTTP routes, with a fake FRED and a fake FMP on
 * 127.0.0.1: fresh hit, expiry, LRU eviction, persisted entry reused after a restart, expired
 * entry served stale when the upstream fails, 502 when nothing is cached, 503 without a key.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useHarness } from "./suite.ts";

const { fred, fmp, harness, restart } = useHarness();

describe("FRED series cache (TTL 1 h)", () => {
  it("fetches once, answers from the cache while fresh, refetches after an hour", async () => {
    fred.set("CPIAUCSL", ["2026-01-01", "312.5"], ["2025-12-01", "311.9"]);
    const h = await harness();
    const first = await h.get("/api/data/fred/CPIAUCSL");
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      series_id: "CPIAUCSL",
      date: "2026-01-01",
      value: 312.5,
      cached: false,
      stale: false,
      fetched_at: "2026-03-02T12:00:00.000Z",
    });
    h.clock.advance(59 * 60_000);
    expect((await h.get("/api/data/fred/cpiaucsl")).body).toMatchObject({
      cached: true,
      stale: false,
      value: 312.5,
    });
    expect(fred.count("CPIAUCSL")).toBe(1);

    fred.set("CPIAUCSL", ["2026-02-01", "313.0"]);
    h.clock.advance(60_000); // exactly one hour after the fetch: expired
    expect((await h.get("/api/data/fred/CPIAUCSL")).body).toMatchObject({
      cached: false,
      value: 313,
      date: "2026-02-01",
      fetched_at: "2026-03-02T13:00:00.000Z",
    });
    expect(fred.count("CPIAUCSL")).toBe(2);
    expect((await h.get("/api/cache/stats")).body).toMatchObject({
      fred: { hits: 1, misses: 2, stale_served: 0, entries: 1, inflight_joined: 0 },
    });
  });

  it("keeps a units transform as its own entry (cache/fred/CPIAUCSL.pc1.json)", async () => {
    fred.set("CPIAUCSL", ["2026-01-01", "312.5"]).set("CPIAUCSL.pc1", ["2026-01-01", "2.9"]);
    const h = await harness();
    expect((await h.get("/api/data/fred/CPIAUCSL?units=pc1")).body).toMatchObject({ value: 2.9 });
    expect((await h.get("/api/data/fred/CPIAUCSL")).body).toMatchObject({ value: 312.5 });
    const persisted = JSON.parse(await readFile(join(h.dir, "cache/fred/CPIAUCSL.pc1.json"), "utf8"));
    expect(persisted.value).toEqual({ series_id: "CPIAUCSL", date: "2026-01-01", value: 2.9 });
  });
});

describe("quote cache (TTL 60 s)", () => {
  it("expires after 60 seconds", async () => {
    fmp.set("AAPL", 255.5, 1.25, 0.49);
    const h = await harness();
    expect((await h.get("/api/data/quotes/AAPL")).body).toEqual({
      symbol: "AAPL",
      price: 255.5,
      change: 1.25,
      change_percent: 0.49,
      timestamp: "2026-01-01T12:00:00.000Z",
      cached: false,
      stale: false,
      fetched_at: "2026-03-02T12:00:00.000Z",
    });
    h.clock.advance(59_999);
    expect((await h.get("/api/data/quotes/aapl")).body).toMatchObject({ cached: true });
    h.clock.advance(1);
    expect((await h.get("/api/data/quotes/AAPL")).body).toMatchObject({ cached: false });
    expect(fmp.count("AAPL")).toBe(2);
  });

  it("evicts the least recently used entry from memory past maxEntries", async () => {
    for (const s of ["AAA", "BBB", "CCC"]) fmp.set(s, 10);
    const h = await harness({ market: { maxEntries: 2, storage: undefined } });
    await h.get("/api/data/quotes/AAA");
    await h.get("/api/data/quotes/BBB");
    await h.get("/api/data/quotes/AAA"); // AAA is now the most recently used
    await h.get("/api/data/quotes/CCC"); // evicts BBB
    expect((await h.get("/api/data/quotes/AAA")).body).toMatchObject({ cached: true });
    expect((await h.get("/api/data/quotes/BBB")).body).toMatchObject({ cached: false });
    expect([fmp.count("AAA"), fmp.count("BBB"), fmp.count("CCC")]).toEqual([1, 2, 1]);
    expect((await h.get("/api/cache/stats")).body).toMatchObject({ quotes: { evictions: 2, entries: 2 } });
  });
});

describe("persistence across a restart", () => {
  it("reuses a fresh persisted entry without asking upstream, with its original times", async () => {
    fred.set("UNRATE", ["2026-02-01", "4.2"]);
    let h = await harness();
    await h.get("/api/data/fred/UNRATE");
    const file = JSON.parse(await readFile(join(h.dir, "cache/fred/UNRATE.json"), "utf8"));
    expect(file).toEqual({
      value: { series_id: "UNRATE", date: "2026-02-01", value: 4.2 },
      fetched_at: "2026-03-02T12:00:00.000Z",
      expires_at: "2026-03-02T13:00:00.000Z",
    });
    h.clock.advance(30 * 60_000);
    h = await restart(h);
    expect((await h.get("/api/data/fred/UNRATE")).body).toMatchObject({
      cached: true,
      stale: false,
      fetched_at: "2026-03-02T12:00:00.000Z",
    });
    expect(fred.count("UNRATE")).toBe(1);
    expect((await h.get("/api/cache/stats")).body).toMatchObject({ fred: { hits: 1, misses: 0 } });
  });

  it("a corrupt persisted entry is a miss, never an error, and is rewritten", async () => {
    fmp.set("MSFT", 410);
    const h = await harness();
    await h.get("/api/data/quotes/MSFT");
    const path = join(h.dir, "cache/quotes/MSFT.json");
    const h2 = await restart(h);
    await writeFile(path, '{"value": {"symbol": "MSFT", "price": "oops"');
    expect((await h2.get("/api/data/quotes/MSFT")).body).toMatchObject({ cached: false, price: 410 });
    expect(h2.cacheEvents.map((e) => e.type)).toEqual(["cache_entry_corrupt"]);
    expect(JSON.parse(await readFile(path, "utf8")).value.price).toBe(410);
  });
});

describe("upstream failures", () => {
  it("serves the expired value with stale: true when the upstream fails — also after a restart", async () => {
    fmp.set("NVDA", 140);
    fred.set("GDP", ["2025-10-01", "2.4"]);
    let h = await harness();
    await h.get("/api/data/quotes/NVDA");
    await h.get("/api/data/fred/GDP");
    h.clock.advance(2 * 60 * 60_000);
    fmp.behaviour.failWith = 500;
    fred.behaviour.failWith = 503;
    const quote = await h.get("/api/data/quotes/NVDA");
    expect(quote.status).toBe(200);
    expect(quote.body).toMatchObject({
      price: 140,
      stale: true,
      cached: true,
      fetched_at: "2026-03-02T12:00:00.000Z",
    });
    expect((await h.get("/api/data/fred/GDP")).body).toMatchObject({ value: 2.4, stale: true });

    h = await restart(h);
    expect((await h.get("/api/data/quotes/NVDA")).body).toMatchObject({ price: 140, stale: true });
    expect((await h.get("/api/cache/stats")).body).toMatchObject({ quotes: { stale_served: 1 } });

    // The upstream recovers: a fresh value, no longer stale.
    fmp.behaviour.failWith = null;
    fmp.set("NVDA", 150);
    expect((await h.get("/api/data/quotes/NVDA")).body).toMatchObject({
      price: 150,
      stale: false,
      cached: false,
    });
  });

  it("answers 502 upstream_error when nothing is cached", async () => {
    fmp.behaviour.failWith = 500;
    const h = await harness();
    const res = await h.get("/api/data/quotes/TSLA");
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ error: { code: "upstream_error" } });
    expect(JSON.stringify(res.body)).not.toContain(fmp.apiKey);
  });

  it("answers 404 for a series or symbol the provider does not know (not stale-served, not 502)", async () => {
    const h = await harness();
    expect((await h.get("/api/data/fred/NOSUCHSERIES")).status).toBe(404);
    expect((await h.get("/api/data/quotes/ZZZZ")).status).toBe(404);
  });

  it("answers 503 not_configured without a key, before any upstream request", async () => {
    const h = await harness({ fredKey: false, fmpKey: false });
    for (const path of ["/api/data/fred/GDP", "/api/data/quotes/AAPL"]) {
      const res = await h.get(path);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: "not_configured" } });
    }
    expect(fred.count() + fmp.count()).toBe(0);
  });

  it("answers 400 for ids that do not match the strict patterns, before any upstream request", async () => {
    const h = await harness();
    for (const path of [
      "/api/data/fred/CPI%26api_key%3Dx",
      "/api/data/fred/..%2F..%2Fetc",
      "/api/data/fred/CPI?units=evil",
      "/api/data/quotes/A..B",
      "/api/data/quotes/AAPL%3Fapikey%3Dx",
      `/api/data/quotes/${"A".repeat(16)}`,
    ]) {
      const res = await h.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "validation_error" } });
    }
    expect(fred.count() + fmp.count()).toBe(0);
  });
});
