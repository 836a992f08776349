import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../util/clock.ts";
import { TTLCache, type TTLEntry } from "./ttl-cache.ts";

/**
 * TTLCache's contract spelled out the plain way (a Map in recency order, the rule "fresh while
 * now < expiresAt" compared directly), run side by side with TTLCache on random operations. It is
 * what TTLCache was before it moved onto lru-cache, whose staleness test (`now - start > ttl`) has
 * to be translated exactly: the boundary cases (fractional TTLs, `expiresAt` at or before now,
 * infinite or NaN) are in the generators on purpose.
 */
class Model {
  readonly entries = new Map<string, TTLEntry<number>>();
  readonly evicted: string[] = [];
  readonly stats = { hits: 0, misses: 0, stale_served: 0, evictions: 0 };
  constructor(
    readonly max: number,
    readonly ttlMs: number,
    readonly clock: ManualClock,
  ) {}

  now(): number {
    return this.clock.now().getTime();
  }
  fresh(key: string): TTLEntry<number> | undefined {
    const entry = this.entries.get(key);
    return entry && this.now() < entry.expiresAt ? entry : undefined;
  }
  touch(key: string, entry: TTLEntry<number>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
  get(key: string): number | undefined {
    const entry = this.fresh(key);
    if (!entry) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.touch(key, entry);
    return entry.value;
  }
  set(key: string, value: number, options: { ttlMs?: number; expiresAt?: number }): void {
    const fetchedAt = this.now();
    const expiresAt = options.expiresAt ?? fetchedAt + (options.ttlMs ?? this.ttlMs);
    this.touch(key, { value, fetchedAt, expiresAt });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
      this.stats.evictions++;
      this.evicted.push(oldest);
    }
  }
  /** `fetch` awaited alone (no concurrent callers): a loader that fails or answers `value`. */
  fetch(key: string, outcome: number | "fail"): { value: number; stale: boolean } | "error" {
    const entry = this.fresh(key);
    if (entry) {
      this.stats.hits++;
      this.touch(key, entry);
      return { value: entry.value, stale: false };
    }
    this.stats.misses++;
    if (outcome !== "fail") {
      this.set(key, outcome, {});
      return { value: outcome, stale: false };
    }
    const held = this.entries.get(key);
    if (!held) return "error";
    this.stats.stale_served++;
    return { value: held.value, stale: true };
  }
}

const key = fc.constantFrom("a", "b", "c", "d", "e");
const op = fc.oneof(
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 4 }) }),
  fc.record({
    kind: fc.constant("set" as const),
    key,
    value: fc.integer(),
    ttlMs: fc.option(fc.constantFrom(0.25, 0.5, 1, 1.5, 2, 3), { nil: undefined }),
    // Relative to now; NaN and ±Infinity as they are.
    expiresIn: fc.option(fc.constantFrom(-2, -1, -0.5, 0, 0.5, 1, 2, Number.NaN, Infinity, -Infinity), {
      nil: undefined,
    }),
  }),
  fc.record({ kind: fc.constantFrom("get" as const, "has" as const, "peek" as const), key }),
  fc.record({ kind: fc.constant("delete" as const), key }),
  fc.record({
    kind: fc.constant("fetch" as const),
    key,
    outcome: fc.oneof(fc.integer(), fc.constant("fail")),
  }),
  fc.constant({ kind: "clear" as const }),
);

describe("TTLCache against its reference model", () => {
  it("answers, evicts and counts like the plain Map-in-recency-order model", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(1, 1.5, 2, 3),
        // Near 1970 too, where a clock reading of 0 or 1 must not read as "no TTL" to lru-cache.
        fc.constantFrom(0, 1, 2, Date.parse("2026-01-01T00:00:00.000Z")),
        fc.array(op, { maxLength: 60 }),
        async (max, ttlMs, start, ops) => {
          const clock = new ManualClock(new Date(start));
          const model = new Model(max, ttlMs, clock);
          const evicted: string[] = [];
          const cache = new TTLCache<number>({
            ttlMs,
            maxEntries: max,
            clock,
            onEvict: (k) => evicted.push(k),
          });
          for (const o of ops) {
            switch (o.kind) {
              case "advance":
                clock.advance(o.ms);
                break;
              case "set": {
                const options = {
                  ...(o.ttlMs === undefined ? {} : { ttlMs: o.ttlMs }),
                  ...(o.expiresIn === undefined ? {} : { expiresAt: model.now() + o.expiresIn }),
                };
                cache.set(o.key, o.value, options);
                model.set(o.key, o.value, options);
                break;
              }
              case "get":
                expect(cache.get(o.key)).toBe(model.get(o.key));
                break;
              case "has":
                expect(cache.has(o.key)).toBe(model.fresh(o.key) !== undefined);
                break;
              case "peek":
                expect(cache.peek(o.key)).toEqual(model.entries.get(o.key));
                break;
              case "delete":
                expect(cache.delete(o.key)).toBe(model.entries.delete(o.key));
                break;
              case "fetch": {
                const expected = model.fetch(o.key, o.outcome);
                const got = await cache
                  .fetch(o.key, async () => {
                    if (o.outcome === "fail") throw new Error("origin down");
                    return { value: o.outcome };
                  })
                  .then((r) => ({ value: r.value, stale: r.stale }))
                  .catch(() => "error" as const);
                expect(got).toEqual(expected);
                break;
              }
              case "clear":
                cache.clear();
                model.entries.clear();
                break;
            }
            expect(cache.size).toBe(model.entries.size);
          }
          // Filling the cache with new keys evicts everything held, least recently used first:
          // the eviction log then shows the whole recency order, expired entries included.
          for (let i = 0; i < max; i++) {
            cache.set(`new${i}`, i);
            model.set(`new${i}`, i, {});
          }
          expect(evicted).toEqual(model.evicted);
          expect(cache.stats()).toMatchObject({ ...model.stats, entries: model.entries.size });
        },
      ),
      { numRuns: 300 },
    );
  });
});
