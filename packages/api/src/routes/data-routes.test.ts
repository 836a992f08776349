import { GraphStore, MarketData, MemoryStorage, SessionStore } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import type { AppDeps } from "../deps.ts";

/**
 * Route wiring of the data capabilities, in process and without any upstream: the behaviour
 * against fake FRED/FMP servers over real HTTP is in tests/data.
 */
async function app(extra: Partial<AppDeps> = {}) {
  const storage = new MemoryStorage();
  const store = await GraphStore.open(storage, { seed: { version: 2, nodes: {} } });
  return createApp({
    store,
    sessions: new SessionStore(storage),
    storageKind: "memory",
    version: "test",
    token: "secret-token-0123",
    ...extra,
  });
}

const get = (a: Awaited<ReturnType<typeof app>>, path: string) =>
  a.request(path, { headers: { authorization: "Bearer secret-token-0123" } });

describe("data routes", () => {
  it("do not exist without MarketData", async () => {
    const a = await app();
    for (const path of ["/api/data/fred/GDP", "/api/data/quotes/AAPL", "/api/cache/stats"]) {
      const res = await get(a, path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("answer 503 not_configured without API keys, and 400 for ids outside the patterns", async () => {
    const a = await app({ market: MarketData.create({}) });
    for (const path of ["/api/data/fred/GDP", "/api/data/quotes/AAPL"]) {
      const res = await get(a, path);
      expect(res.status, path).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "not_configured" } });
    }
    expect((await get(a, "/api/data/fred/GDP%20X")).status).toBe(400);
    // URL parsing resolves ".." before routing: no route, not a symbol.
    expect((await get(a, "/api/data/quotes/..")).status).toBe(404);
    expect((await get(a, "/api/data/quotes/A..B")).status).toBe(400);
    expect((await get(a, "/api/data/fred/GDP?units=xyz")).status).toBe(400);
  });

  it("need the bearer token like every /api route", async () => {
    const a = await app({ market: MarketData.create({}) });
    expect((await a.request("/api/data/fred/GDP")).status).toBe(401);
    expect((await a.request("/api/cache/stats")).status).toBe(401);
  });

  it("report per-namespace cache counters", async () => {
    const a = await app({ market: MarketData.create({}) });
    const res = await get(a, "/api/cache/stats");
    expect(res.status).toBe(200);
    const zero = { hits: 0, misses: 0, stale_served: 0, entries: 0, inflight_joined: 0, evictions: 0 };
    expect(await res.json()).toEqual({ fred: zero, quotes: zero });
  });

  it("are described in /openapi.json", async () => {
    const a = await app({ market: MarketData.create({}) });
    const doc = (await (await a.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/data/fred/{series_id}", "/api/data/quotes/{symbol}", "/api/cache/stats"]),
    );
  });
});
