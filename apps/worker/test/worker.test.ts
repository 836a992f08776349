import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { WorkerEnv } from "../src/env.ts";
import worker from "../src/index.ts";
import { CountingBucket, TOKEN, uniquePrefix } from "./support.ts";

const isolateEnv = (overrides: Partial<WorkerEnv>): WorkerEnv => ({
  ...env,
  GRAPH_BUCKET: new CountingBucket(env.GRAPH_BUCKET, uniquePrefix("worker")),
  ...overrides,
});

it("without API_TOKEN configured, /api/* answers 503 not_configured and /health still works", async () => {
  const unconfigured = isolateEnv({ API_TOKEN: undefined });
  for (const auth of [undefined, `Bearer ${TOKEN}`]) {
    const response = await worker.fetch(
      new Request("http://worker.test/api/graph/stats", auth ? { headers: { authorization: auth } } : {}),
      unconfigured,
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "not_configured" } });
  }
  const health = await worker.fetch(new Request("http://worker.test/health"), unconfigured);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", storage: "r2" });
});

it("with API_TOKEN, /api/* needs the bearer token", async () => {
  const configured = isolateEnv({});
  const denied = await worker.fetch(new Request("http://worker.test/api/graph/stats"), configured);
  expect(denied.status).toBe(401);
  expect(denied.headers.get("www-authenticate")).toBe("Bearer");
  const allowed = await worker.fetch(
    new Request("http://worker.test/api/graph/stats", { headers: { authorization: `Bearer ${TOKEN}` } }),
    configured,
  );
  expect(allowed.status).toBe(200);
});

it("the Cron Trigger runs morning_briefing through scheduled() and records it in the history", async () => {
  const scheduledEnv = isolateEnv({});
  const pending: Promise<unknown>[] = [];
  await worker.scheduled({}, scheduledEnv, { waitUntil: (p) => pending.push(p) });
  expect(pending).toHaveLength(1);
  await Promise.all(pending);
  const history = await worker.fetch(
    new Request("http://worker.test/api/workflows/history?workflow=morning_briefing", {
      headers: { authorization: `Bearer ${TOKEN}` },
    }),
    scheduledEnv,
  );
  expect(history.status).toBe(200);
  const runs = (await history.json()) as Array<{ workflow: string; steps: unknown[] }>;
  expect(runs[0]).toMatchObject({ workflow: "morning_briefing" });
  expect(runs[0]!.steps.length).toBeGreaterThan(1);
});
