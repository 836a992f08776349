import { env } from "cloudflare:workers";
import { GraphStore, ManualClock, ReadThroughCache, UpstreamError } from "@dawsos/core";
import { runStorageContract } from "@dawsos/core/testing";
import { describe, expect, it } from "vitest";
import { KV_MIN_TTL_SECONDS, type KvListKeyLike, KvStorage } from "../src/index.ts";
import { uniquePrefix } from "./support.ts";

const kv = env.CACHE_KV;

runStorageContract("KvStorage in workerd", {
  create: () => new KvStorage(kv, { prefix: uniquePrefix("contract") }),
});

/** The expiration (Unix seconds) KV recorded for a key, read through a raw listing. */
async function expirationOf(prefix: string, key: string): Promise<number | undefined> {
  const page = await kv.list({ prefix: prefix + key });
  return page.keys.find((k: KvListKeyLike) => k.name === prefix + key)?.expiration;
}

describe("KvStorage in workerd", () => {
  it("declares itself eventually consistent without compare-and-swap, and is refused for the graph", async () => {
    const storage = new KvStorage(kv, { prefix: uniquePrefix("caps") });
    expect(storage.capabilities).toEqual({
      conditionalWrites: false,
      durableAppend: false,
      atomicReplace: true,
      nativeTtl: true,
      consistency: "eventual",
    });
    await expect(GraphStore.open(storage)).rejects.toMatchObject({ code: "unsupported_storage" });
    expect(await storage.list("")).toEqual([]);
  });

  it("refuses conditional writes instead of silently ignoring the condition", async () => {
    const storage = new KvStorage(kv, { prefix: uniquePrefix("cond") });
    const { etag } = await storage.put("a.json", "1");
    await expect(storage.put("a.json", "2", { ifMatch: etag })).rejects.toMatchObject({
      code: "unsupported_storage",
    });
    await expect(storage.put("b.json", "2", { ifNoneMatch: "*" })).rejects.toMatchObject({
      code: "unsupported_storage",
    });
    expect(new TextDecoder().decode((await storage.get("a.json"))!.body)).toBe("1");
    expect(await storage.get("b.json")).toBeNull();
  });

  it("passes expirationTtl to KV, raised to KV's 60 s minimum; a default bounds entries written without one", async () => {
    // KV itself refuses a TTL under 60 s.
    await expect(kv.put(`${uniquePrefix("raw")}x`, "v", { expirationTtl: 10 })).rejects.toThrow();
    const prefix = uniquePrefix("ttl");
    const storage = new KvStorage(kv, { prefix, defaultTtlSeconds: 3600 });
    const now = Date.now() / 1000;
    await storage.put("short.json", "s", { expirationTtl: 1 });
    await storage.put("long.json", "l", { expirationTtl: 86_400 });
    await storage.put("default.json", "d");
    const near = (actual: number | undefined, expected: number) => {
      expect(actual).toBeGreaterThanOrEqual(Math.floor(expected) - 2);
      expect(actual).toBeLessThanOrEqual(Math.ceil(expected) + 2);
    };
    near(await expirationOf(prefix, "short.json"), now + KV_MIN_TTL_SECONDS);
    near(await expirationOf(prefix, "long.json"), now + 86_400);
    near(await expirationOf(prefix, "default.json"), now + 3600);
    const unbounded = new KvStorage(kv, { prefix, defaultTtlSeconds: null });
    await unbounded.put("forever.json", "f");
    expect(await expirationOf(prefix, "forever.json")).toBeUndefined();
  });

  it("keeps its etag and size in metadata, so listings need no value reads", async () => {
    const storage = new KvStorage(kv, { prefix: uniquePrefix("meta") });
    const { etag } = await storage.put("m.json", "12345");
    expect((await storage.get("m.json"))!.etag).toBe(etag);
    expect(await storage.list("")).toEqual([{ key: "m.json", size: 5, etag }]);
  });

  it("refuses keys longer than KV's 512 bytes", async () => {
    const storage = new KvStorage(kv, { prefix: uniquePrefix("long") });
    await expect(storage.put(`${"k".repeat(600)}.json`, "x")).rejects.toMatchObject({ code: "invalid_id" });
  });

  it("holds ReadThroughCache entries: a fresh one is a hit, one past its own expires_at is stale, never fresh", async () => {
    const storage = new KvStorage(kv, { prefix: uniquePrefix("cache") });
    const clock = new ManualClock("2026-05-01T00:00:00.000Z");
    let calls = 0;
    let fail = false;
    const make = () =>
      new ReadThroughCache<number>({
        namespace: "quotes",
        ttlMs: 60_000,
        storage,
        clock,
        fetcher: async () => {
          calls++;
          if (fail) throw new UpstreamError("fmp", "down");
          return 42;
        },
      });
    expect((await make().get("AAPL")).cached).toBe(false);
    // A new isolate (empty memory) finds the entry in KV.
    expect(await make().get("AAPL")).toMatchObject({ value: 42, cached: true, stale: false });
    expect(calls).toBe(1);
    // Past the entry's own expiry (KV still holds it: its TTL is a storage bound only): the
    // origin is asked; when it fails, the value is served stale.
    clock.advance(61_000);
    fail = true;
    expect(await make().get("AAPL")).toMatchObject({ value: 42, stale: true });
    expect(calls).toBe(2);
  });
});
