import { describe, expect, it } from "vitest";
import { ManualClock } from "../util/clock.ts";
import { FredClient } from "./fred-client.ts";
import type { Fetch } from "./provider-http.ts";
import { QuoteClient } from "./quote-client.ts";

/**
 * The clients take `fetch` as a dependency; these unit tests pass a function that answers like the
 * provider would (no network, so they also run under Deno). tests/data drives the same clients
 * against fake FRED/FMP servers over real loopback HTTP.
 */
function provider(answer: (url: URL) => Response | Promise<Response>) {
  const urls: URL[] = [];
  const fetch: Fetch = async (input) => {
    const url = new URL(String(input));
    urls.push(url);
    return answer(url);
  };
  return { urls, fetch };
}

/** The query as an object (the DOM lib here has no iterable URLSearchParams). */
function params(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("FredClient", () => {
  it("asks /series/observations newest first and returns the newest numeric value, skipping '.'", async () => {
    const p = provider(() =>
      json({
        observations: [
          { date: "2026-02-01", value: "." },
          { date: "2026-01-01", value: "3.25" },
          { date: "2025-12-01", value: "3.1" },
        ],
      }),
    );
    const fred = new FredClient({ apiKey: "k3y", baseUrl: "http://fred.test/fred/", fetch: p.fetch });
    expect(await fred.latest("cpiaucsl")).toEqual({ series_id: "CPIAUCSL", date: "2026-01-01", value: 3.25 });
    const url = p.urls[0]!;
    expect(url.origin + url.pathname).toBe("http://fred.test/fred/series/observations");
    expect(params(url)).toEqual({
      series_id: "CPIAUCSL",
      api_key: "k3y",
      file_type: "json",
      sort_order: "desc",
      limit: "10",
    });
    await fred.latest("CPIAUCSL", { units: "pc1" });
    expect(p.urls[1]!.searchParams.get("units")).toBe("pc1");
  });

  it("checks ids and units before building any URL, and needs a key", async () => {
    const p = provider(() => json({ observations: [] }));
    const fred = new FredClient({ apiKey: "k", fetch: p.fetch });
    for (const bad of ["", "CPI&api_key=x", "../x", "A B", "Ü", "X".repeat(65)]) {
      await expect(fred.latest(bad)).rejects.toMatchObject({ code: "invalid_id" });
    }
    await expect(fred.latest("CPI", { units: "evil" as "lin" })).rejects.toMatchObject({
      code: "validation_error",
    });
    await expect(new FredClient({ fetch: p.fetch }).latest("CPI")).rejects.toMatchObject({
      code: "not_configured",
    });
    expect(p.urls).toHaveLength(0);
  });

  it("maps FRED's answers to typed errors that never contain the key", async () => {
    const cases: Array<[Response, string]> = [
      [json({ error_code: 400, error_message: "Bad Request. The series does not exist." }, 400), "not_found"],
      [json({ error: "boom" }, 500), "upstream_error"],
      [new Response("<html>", { status: 200 }), "upstream_error"],
      [json({ observations: [{ date: "2026-01-01", value: "." }] }), "upstream_error"],
      [json({ unexpected: true }), "upstream_error"],
    ];
    for (const [response, code] of cases) {
      const fred = new FredClient({ apiKey: "SECRETKEY", fetch: provider(() => response).fetch });
      const error = (await fred.latest("GDP").catch((e: unknown) => e)) as Error & { code: string };
      expect(error.code).toBe(code);
      expect(error.message).not.toContain("SECRETKEY");
    }
    const unreachable = new FredClient({
      apiKey: "SECRETKEY",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(unreachable.latest("GDP")).rejects.toMatchObject({
      code: "upstream_error",
      details: { reason: "network" },
    });
  });

  it("retries a 429 after Retry-After, then gives up with rate_limited", async () => {
    const clock = new ManualClock();
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock.advance(ms);
    };
    let calls = 0;
    const p = provider(() =>
      ++calls <= 2
        ? json({}, 429, { "retry-after": "3" })
        : json({ observations: [{ date: "d", value: "1" }] }),
    );
    const fred = new FredClient({ apiKey: "k", fetch: p.fetch, clock, sleep });
    expect(await fred.latest("GDP")).toMatchObject({ value: 1 });
    expect(waits).toEqual([3_000, 3_000]);
    const always = new FredClient({
      apiKey: "k",
      fetch: provider(() => json({}, 429)).fetch,
      clock,
      sleep,
      random: () => 0,
      maxRetries: 2,
    });
    waits.length = 0;
    await expect(always.latest("GDP")).rejects.toMatchObject({ code: "rate_limited", status: 429 });
    expect(waits).toEqual([250, 500]); // jittered exponential backoff without Retry-After
  });
});

describe("QuoteClient", () => {
  it("asks v3/quote/{symbol} and maps FMP's fields", async () => {
    const p = provider(() =>
      json([
        { symbol: "BRK-B", price: 410.5, change: -1.5, changesPercentage: -0.36, timestamp: 1767268800 },
      ]),
    );
    const quotes = new QuoteClient({ apiKey: "k", baseUrl: "http://fmp.test/api", fetch: p.fetch });
    expect(await quotes.quote("brk-b")).toEqual({
      symbol: "BRK-B",
      price: 410.5,
      change: -1.5,
      change_percent: -0.36,
      timestamp: "2026-01-01T12:00:00.000Z",
    });
    expect(p.urls[0]!.pathname).toBe("/api/v3/quote/BRK-B");
    expect(params(p.urls[0]!)).toEqual({ apikey: "k" });
  });

  it("checks symbols before building any URL; unknown symbols are not_found; refusals are upstream errors", async () => {
    const p = provider(() => json([]));
    const quotes = new QuoteClient({ apiKey: "k", fetch: p.fetch });
    for (const bad of ["", "A/B", "..", "A..B", "AAPL?x=1", "%2e", "A".repeat(16), "-A"]) {
      await expect(quotes.quote(bad)).rejects.toMatchObject({ code: "invalid_id" });
    }
    expect(p.urls).toHaveLength(0);
    await expect(quotes.quote("NOPE")).rejects.toMatchObject({ code: "not_found" });
    const refused = new QuoteClient({
      apiKey: "k",
      fetch: provider(() => json({ "Error Message": "Invalid API KEY." }, 401)).fetch,
    });
    await expect(refused.quote("AAPL")).rejects.toMatchObject({ code: "upstream_error", status: 401 });
    const limited = new QuoteClient({
      apiKey: "k",
      fetch: provider(() => json({ "Error Message": "Limit Reach." })).fetch,
    });
    await expect(limited.quote("AAPL")).rejects.toMatchObject({ code: "upstream_error" });
    await expect(new QuoteClient().quote("AAPL")).rejects.toMatchObject({ code: "not_configured" });
  });
});
