import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NotFoundError, UpstreamError } from "../errors/errors.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { type CacheEvent, ReadThroughCache } from "./read-through-cache.ts";

const valueSchema = z.object({ n: z.number() });
type Value = z.infer<typeof valueSchema>;

/** An origin whose answers the test controls, counting calls. */
function origin() {
  const state = { calls: 0, next: 1, fail: null as Error | null };
  const fetcher = async (_key: string): Promise<Value> => {
    state.calls++;
    if (state.fail) throw state.fail;
    return { n: state.next };
  };
  return { state, fetcher };
}

function makeCache(storage: MemoryStorage, clock: ManualClock, fetcher: (key: string) => Promise<Value>) {
  const events: CacheEvent[] = [];
  const cache = new ReadThroughCache<Value>({
    namespace: "test",
    ttlMs: 60_000,
    fetcher,
    storage,
    schema: valueSchema,
    clock,
    onEvent: (e) => events.push(e),
  });
  return { cache, events };
}

describe("ReadThroughCache", () => {
  it("memory → storage → fetcher, persisting {value, fetched_at, expires_at}", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock("2026-03-01T10:00:00.000Z");
    const o = origin();
    const { cache } = makeCache(storage, clock, o.fetcher);
    const first = await cache.get("K");
    expect(first).toEqual({
      value: { n: 1 },
      cached: false,
      stale: false,
      fetched_at: "2026-03-01T10:00:00.000Z",
      expires_at: "2026-03-01T10:01:00.000Z",
    });
    const stored = JSON.parse(bytesToText((await storage.get("cache/test/K.json"))!.body));
    expect(stored).toEqual({
      value: { n: 1 },
      fetched_at: "2026-03-01T10:00:00.000Z",
      expires_at: "2026-03-01T10:01:00.000Z",
    });
    clock.advance(30_000);
    expect(await cache.get("K")).toMatchObject({ value: { n: 1 }, cached: true });
    expect(o.state.calls).toBe(1);
  });

  it("reuses a fresh persisted entry after a restart, and refetches once it expires", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const o = origin();
    await makeCache(storage, clock, o.fetcher).cache.get("K");
    clock.advance(59_000);
    const restarted = makeCache(storage, clock, o.fetcher).cache;
    expect(await restarted.get("K")).toMatchObject({ value: { n: 1 }, cached: true, stale: false });
    expect(o.state.calls).toBe(1);
    expect(restarted.stats()).toMatchObject({ hits: 1, misses: 0 });
    clock.advance(1_000);
    o.state.next = 2;
    expect(await restarted.get("K")).toMatchObject({ value: { n: 2 }, cached: false });
    expect(o.state.calls).toBe(2);
  });

  it("serves the last value stale when the origin fails — from memory, or from storage after a restart", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const o = origin();
    const { cache } = makeCache(storage, clock, o.fetcher);
    await cache.get("K");
    clock.advance(120_000);
    o.state.fail = new UpstreamError("X", "down");
    expect(await cache.get("K")).toMatchObject({ value: { n: 1 }, stale: true, cached: true });
    const restarted = makeCache(storage, clock, o.fetcher).cache;
    expect(await restarted.get("K")).toMatchObject({ value: { n: 1 }, stale: true });
    expect(restarted.stats()).toMatchObject({ stale_served: 1, misses: 1 });
    // Nothing cached: the origin's error.
    await expect(restarted.get("OTHER")).rejects.toMatchObject({ code: "upstream_error" });
    // The caller's mistakes are not papered over with stale data.
    o.state.fail = new NotFoundError("no such thing");
    await expect(restarted.get("K")).rejects.toMatchObject({ code: "not_found" });
  });

  it("treats a corrupt or invalid persisted entry as a miss, reports it, and overwrites it", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const o = origin();
    const bad = [
      "{not json",
      "[]",
      JSON.stringify({
        value: { n: "one" },
        fetched_at: "2026-01-01T00:00:00Z",
        expires_at: "2999-01-01T00:00:00Z",
      }),
      JSON.stringify({ value: { n: 1 }, fetched_at: "yesterday", expires_at: "2999-01-01T00:00:00Z" }),
      JSON.stringify({ fetched_at: "2026-01-01T00:00:00Z", expires_at: "2999-01-01T00:00:00Z" }),
    ];
    for (const [i, body] of bad.entries()) {
      await storage.put(`cache/test/K${i}.json`, body);
      const { cache, events } = makeCache(storage, clock, o.fetcher);
      expect(await cache.get(`K${i}`)).toMatchObject({ value: { n: 1 }, cached: false });
      expect(events.map((e) => e.type)).toEqual(["cache_entry_corrupt"]);
      const rewritten = JSON.parse(bytesToText((await storage.get(`cache/test/K${i}.json`))!.body));
      expect(rewritten.value).toEqual({ n: 1 });
    }
    // Invalid UTF-8 too.
    await storage.put("cache/test/U.json", new Uint8Array([0xff, 0xfe, 0x7b]));
    expect(await makeCache(storage, clock, o.fetcher).cache.get("U")).toMatchObject({ cached: false });
  });

  it("a failed persist does not fail the lookup", async () => {
    const failing = new (class extends MemoryStorage {
      override async put(): Promise<never> {
        throw new Error("disk full");
      }
    })();
    const o = origin();
    const { cache, events } = makeCache(failing, new ManualClock(), o.fetcher);
    expect(await cache.get("K")).toMatchObject({ value: { n: 1 } });
    expect(events.map((e) => e.type)).toEqual(["cache_persist_failed"]);
  });

  it("invalidate forgets a key in memory and in storage", async () => {
    const storage = new MemoryStorage();
    const o = origin();
    const { cache } = makeCache(storage, new ManualClock(), o.fetcher);
    await cache.get("K");
    await cache.invalidate("K");
    expect(await storage.get("cache/test/K.json")).toBeNull();
    o.state.next = 2;
    expect(await cache.get("K")).toMatchObject({ value: { n: 2 }, cached: false });
    expect(o.state.calls).toBe(2);
  });

  it("refuses keys and namespaces that could escape cache/<namespace>/", async () => {
    const o = origin();
    const { cache } = makeCache(new MemoryStorage(), new ManualClock(), o.fetcher);
    for (const key of ["", "../x", "a/b", "a..b", ".hidden", "a\\b", "x".repeat(201)]) {
      await expect(cache.get(key)).rejects.toMatchObject({ code: "invalid_id" });
    }
    expect(o.state.calls).toBe(0);
    expect(() => new ReadThroughCache({ namespace: "../x", ttlMs: 1, fetcher: o.fetcher })).toThrow();
  });
});

describe("ReadThroughCache over a store with native expiry (Workers KV)", () => {
  it("asks the store to keep entries for many TTLs, so an expired value can still be served stale", async () => {
    const puts: Array<{ key: string; ttl: number | undefined }> = [];
    class ExpiringStorage extends MemoryStorage {
      override readonly capabilities = { ...new MemoryStorage().capabilities, nativeTtl: true };
      override async put(key: string, body: Uint8Array | string, options?: { expirationTtl?: number }) {
        puts.push({ key, ttl: options?.expirationTtl });
        return super.put(key, body);
      }
    }
    const o = origin();
    const { cache } = makeCache(new ExpiringStorage(), new ManualClock(), o.fetcher);
    await cache.get("K");
    expect(puts).toEqual([{ key: expect.stringContaining("K"), ttl: 24 * 60 }]);
  });
});
