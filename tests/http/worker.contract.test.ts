import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WranglerDev } from "../support/wrangler-dev.ts";
import { runHttpContract } from "./contract.ts";

/**
 * The HTTP contract suite against the Cloudflare Worker: `wrangler dev` of apps/worker (workerd,
 * local R2 and KV) on a free loopback port, over real HTTP, started with
 * `--var API_TOKEN:<token>`. The same suite runs against the Node server
 * (node-server.contract.test.ts).
 */
let worker: WranglerDev | undefined;

beforeAll(async () => {
  worker = await WranglerDev.start();
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
}, 30_000);

const running = (): WranglerDev => {
  if (!worker) throw new Error("wrangler dev did not start");
  return worker;
};

describe("worker: health and configuration", () => {
  it("GET /health needs no token and reports the durable-object storage; /api needs the token", async () => {
    const response = await fetch(`${running().baseUrl}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", storage: "durable-object" });
    const denied = await fetch(`${running().baseUrl}/api/graph/stats`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(denied.status).toBe(401);
  });
});

describe("worker: the dashboard as static assets", () => {
  it("serves the dashboard at / (and deep links), while /api stays JSON", async () => {
    for (const path of ["/", "/graph/AAPL"]) {
      const page = await fetch(`${running().baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type"), path).toMatch(/text\/html/);
      expect(await page.text(), path).toContain('<div id="app"></div>');
    }
    const api = await fetch(`${running().baseUrl}/api/no-such-route`, {
      headers: { authorization: `Bearer ${running().token}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
  });
});

runHttpContract("worker (wrangler dev)", () => ({ baseUrl: running().baseUrl, token: running().token }));

describe("worker: after the contract suite", () => {
  it("is still serving and the graph verifies", async () => {
    const w = running();
    expect(w.exit, w.output()).toBeNull();
    const integrity = await fetch(`${w.baseUrl}/api/integrity`, {
      headers: { authorization: `Bearer ${w.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const report = (await integrity.json()) as { ok: boolean; files: unknown[] };
    expect(report.ok, JSON.stringify(report)).toBe(true);
  });
});
