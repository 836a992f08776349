/**
 * Issue 6 end to end: the built Node server (`apps/node-server/dist/server.js`) wired to the fake
 * FRED/FMP servers through FRED_API_KEY/FRED_BASE_URL/FMP_API_KEY/FMP_BASE_URL, over real
 * loopback HTTP: data routes, single-flight across 100 HTTP clients, the persisted cache across a
 * restart, the DAWSOS_SCHEDULE cron running morning_briefing, and bad values refused at start.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureNodeServerBuilt, NodeServer } from "../support/node-server.ts";
import { tempDir } from "./harness.ts";
import { useDataSuite } from "./suite.ts";

const { fred, fmp } = useDataSuite();
const servers: NodeServer[] = [];

beforeAll(async () => {
  await ensureNodeServerBuilt();
}, 300_000);
// Registered after useDataSuite's hooks, so it runs before them: servers stop before the fakes reset.
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

async function start(env: Record<string, string>, storageDir?: string): Promise<NodeServer> {
  const server = await NodeServer.start({ token: null, env, ...(storageDir ? { storageDir } : {}) });
  servers.push(server);
  return server;
}

const fredEnv = () => ({ FRED_API_KEY: fred.apiKey, FRED_BASE_URL: fred.baseUrl });
const fmpEnv = () => ({ FMP_API_KEY: fmp.apiKey, FMP_BASE_URL: fmp.baseUrl });

async function getJson(server: NodeServer, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.baseUrl}${path}`);
  return { status: res.status, body: await res.json() };
}

describe("node server with the data capabilities", () => {
  it("serves FRED through the persisted cache; quotes are 503 without FMP_API_KEY", async () => {
    fred.set("UNRATE", ["2026-02-01", "4.2"]);
    const dir = await tempDir();
    let server = await start(fredEnv(), dir);
    expect(await getJson(server, "/api/data/fred/UNRATE")).toMatchObject({
      status: 200,
      body: { series_id: "UNRATE", value: 4.2, date: "2026-02-01", cached: false, stale: false },
    });
    expect((await getJson(server, "/api/data/fred/UNRATE")).body).toMatchObject({ cached: true });
    const quote = await getJson(server, "/api/data/quotes/AAPL");
    expect(quote).toMatchObject({ status: 503, body: { error: { code: "not_configured" } } });
    expect(existsSync(join(dir, "cache/fred/UNRATE.json"))).toBe(true);

    // Restart on the same directory: the entry is reused, FRED is not asked again.
    expect(await server.stop()).toMatchObject({ code: 0 });
    servers.splice(servers.indexOf(server), 1);
    server = await start(fredEnv(), dir);
    expect((await getJson(server, "/api/data/fred/UNRATE")).body).toMatchObject({ cached: true, value: 4.2 });
    expect(fred.count("UNRATE")).toBe(1);
  });

  it("100 concurrent HTTP clients asking for one symbol make one upstream request", async () => {
    fmp.set("NVDA", 140);
    fmp.behaviour.delayMs = 200;
    const server = await start(fmpEnv());
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => getJson(server, "/api/data/quotes/NVDA")),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(fmp.count("NVDA")).toBe(1);
    expect((await getJson(server, "/api/cache/stats")).body).toMatchObject({
      quotes: { misses: 1, inflight_joined: 99 },
    });
  });

  it("runs morning_briefing on the DAWSOS_SCHEDULE cron and records it", async () => {
    fred.set("UNRATE", ["2026-02-01", "4.2"]);
    // Six fields: every second (croner's seconds extension), so the test need not wait a minute.
    const server = await start({ ...fredEnv(), ...fmpEnv(), DAWSOS_SCHEDULE: "* * * * * *" });
    expect(server.stdout).toContain('"event":"scheduled"');
    const deadline = Date.now() + 20_000;
    let runs: Array<{ workflow: string; steps: unknown[] }> = [];
    while (Date.now() < deadline) {
      runs = (await getJson(server, "/api/workflows/history?workflow=morning_briefing")).body as typeof runs;
      if (runs.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runs.length).toBeGreaterThan(0);
    expect(runs[0]!.steps).toHaveLength(4);
    expect(server.stdout).toMatch(/"event":"workflow_run","workflow":"morning_briefing"/);
    expect(await server.stop()).toMatchObject({ code: 0 });
  });

  it("lists and runs workflows over HTTP", async () => {
    const server = await start({});
    const list = await getJson(server, "/api/workflows");
    expect((list.body as Array<{ name: string }>).map((w) => w.name)).toEqual([
      "morning_briefing",
      "refresh_indicators",
      "refresh_quotes",
      "regime_check",
    ]);
    const res = await fetch(`${server.baseUrl}/api/workflows/regime_check/run`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ workflow: "regime_check", status: "completed" });
  });

  it.each([
    ["DAWSOS_SCHEDULE", "61 * * * *"],
    ["DAWSOS_SCHEDULE", "every morning"],
    ["FRED_BASE_URL", "ftp://example.test/fred"],
    ["FMP_BASE_URL", "not a url"],
    ["FRED_API_KEY", "has space"],
  ])("refuses to start with a bad %s (%s): exit 1 naming the variable", async (name, value) => {
    const error = (await start({ [name]: value }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/exited before listening.*"code":1/s);
    expect(error.message).toContain(name);
  });
});
