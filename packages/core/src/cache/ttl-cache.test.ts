import { describe, expect, it } from "vitest";
import { NotFoundError, UpstreamError } from "../errors/errors.ts";
import { ManualClock } from "../util/clock.ts";
import { TTLCache } from "./ttl-cache.ts";

describe("TTLCache", () => {
  it("serves a fresh entry until its TTL passes, then misses (clock-driven)", () => {
    const clock = new ManualClock();
    const cache = new TTLCache<number>({ ttlMs: 1000, clock });
    cache.set("a", 1);
    expect(cache.get("a")).toBe(1);
    clock.advance(999);
    expect(cache.get("a")).toBe(1);
    clock.advance(1);
    expect(cache.get("a")).toBeUndefined();
    // Expired entries are kept as a stale fallback.
    expect(cache.peek("a")?.value).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, entries: 1, evictions: 0 });
  });

  it("honours a per-entry TTL", () => {
    const clock = new ManualClock();
    const cache = new TTLCache<string>({ ttlMs: 1000, clock });
    cache.set("short", "s", { ttlMs: 10 });
    cache.set("long", "l");
    clock.advance(10);
    expect(cache.has("short")).toBe(false);
    expect(cache.has("long")).toBe(true);
  });

  it("evicts the least recently used entry past maxEntries", () => {
    const evicted: string[] = [];
    const cache = new TTLCache<number>({
      ttlMs: 60_000,
      maxEntries: 3,
      clock: new ManualClock(),
      onEvict: (key) => evicted.push(key),
    });
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1); // a is now the most recently used
    cache.set("d", 4);
    expect(evicted).toEqual(["b"]);
    expect(cache.peek("b")).toBeUndefined();
    expect([cache.get("a"), cache.get("c"), cache.get("d")]).toEqual([1, 3, 4]);
    expect(cache.stats()).toMatchObject({ evictions: 1, entries: 3 });
  });

  it("fetch: one load for concurrent misses, then hits until expiry", async () => {
    const clock = new ManualClock();
    const cache = new TTLCache<number>({ ttlMs: 1000, clock });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = async () => {
      loads++;
      await gate;
      return { value: 42 };
    };
    const pending = Array.from({ length: 10 }, () => cache.fetch("k", load));
    release();
    const results = await Promise.all(pending);
    expect(loads).toBe(1);
    expect(results.every((r) => r.value === 42 && !r.stale)).toBe(true);
    expect(results[0]!.cached).toBe(false);
    const again = await cache.fetch("k", load);
    expect(again).toMatchObject({ value: 42, cached: true, stale: false });
    expect(loads).toBe(1);
    clock.advance(1000);
    await cache.fetch("k", load);
    expect(loads).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, inflight_joined: 9 });
  });

  it("fetch: serves the expired entry when the load fails, unless staleIfError says no", async () => {
    const clock = new ManualClock();
    const cache = new TTLCache<number>({ ttlMs: 1000, clock });
    await cache.fetch("k", async () => ({ value: 1 }));
    clock.advance(5000);
    const stale = await cache.fetch("k", async () => {
      throw new UpstreamError("X", "down");
    });
    expect(stale).toMatchObject({ value: 1, stale: true, cached: true });
    expect(cache.stats().stale_served).toBe(1);
    await expect(
      cache.fetch(
        "k",
        async () => {
          throw new NotFoundError("gone");
        },
        { staleIfError: (e) => e instanceof UpstreamError },
      ),
    ).rejects.toMatchObject({ code: "not_found" });
    await expect(
      cache.fetch("never", async () => {
        throw new UpstreamError("X", "down");
      }),
    ).rejects.toMatchObject({ code: "upstream_error" });
  });

  it("fetch: a loader answering from a lower tier counts as a hit; an expired answer as stale", async () => {
    const clock = new ManualClock();
    const cache = new TTLCache<string>({ ttlMs: 1000, clock });
    const now = clock.now().getTime();
    const fromDisk = await cache.fetch("a", async () => ({
      value: "disk",
      fetchedAt: now - 100,
      expiresAt: now + 900,
      fromCache: true,
    }));
    expect(fromDisk).toMatchObject({ cached: true, stale: false, expiresAt: now + 900 });
    const staleFromDisk = await cache.fetch("b", async () => ({
      value: "old",
      fetchedAt: now - 5000,
      expiresAt: now - 4000,
      stale: true,
    }));
    expect(staleFromDisk).toMatchObject({ value: "old", cached: true, stale: true });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, stale_served: 1 });
  });

  it("rejects nonsense options", () => {
    expect(() => new TTLCache({ ttlMs: 0 })).toThrow();
    expect(() => new TTLCache({ ttlMs: 10, maxEntries: 0 })).toThrow();
  });
});
