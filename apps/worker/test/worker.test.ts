import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { WorkerEnv } from "../src/env.ts";
import type { GraphObject } from "../src/graph-object.ts";
import worker, { graphObject } from "../src/index.ts";
import { call, freshGraphEnv, TOKEN } from "./support.ts";

describe("the Worker in front of its GraphObject", () => {
  it("without API_TOKEN configured, /api/* answers 503 not_configured and /health still works", async () => {
    const unconfigured = freshGraphEnv({ API_TOKEN: undefined });
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
    expect(await health.json()).toMatchObject({ status: "ok", storage: "durable-object" });
  });

  it("with API_TOKEN, /api/* needs the bearer token; a refused request never reaches the object", async () => {
    const workerEnv = freshGraphEnv();
    const denied = await worker.fetch(new Request("http://worker.test/api/graph/stats"), workerEnv);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe("Bearer");
    // The gateway answered alone: no object was created for this graph name.
    const before = (await listDurableObjectIds(env.GRAPH_OBJECT)).length;
    const tooBig = await worker.fetch(
      new Request("http://worker.test/api/nodes/X", {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "t", data: { blob: "x".repeat(1024 * 1024 + 1) } }),
      }),
      workerEnv,
    );
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect((await listDurableObjectIds(env.GRAPH_OBJECT)).length).toBe(before);
    const allowed = await call(workerEnv, "GET", "/api/graph/stats");
    expect(allowed.status).toBe(200);
    expect((await listDurableObjectIds(env.GRAPH_OBJECT)).length).toBe(before + 1);
  });

  it("forwards writes and reads to one object: ETags, If-Match and the request id survive the hop", async () => {
    const workerEnv = freshGraphEnv();
    const put = await call(
      workerEnv,
      "PUT",
      "/api/nodes/ZZ_TEST",
      { type: "stock", data: { price: 1 } },
      {
        "x-request-id": "req-123",
      },
    );
    expect(put.status).toBe(201);
    expect(put.headers.get("x-request-id")).toBe("req-123");
    expect(put.headers.get("x-content-type-options")).toBe("nosniff");
    const etag = put.headers.get("etag")!;
    const stale = await call(
      workerEnv,
      "PATCH",
      "/api/nodes/ZZ_TEST",
      { data: { price: 2 } },
      { "if-match": '"0"' },
    );
    expect(stale.status).toBe(412);
    const ok = await call(
      workerEnv,
      "PATCH",
      "/api/nodes/ZZ_TEST",
      { data: { price: 2 } },
      { "if-match": etag },
    );
    expect(ok.status).toBe(200);
    const read = await call(workerEnv, "GET", "/api/nodes/ZZ_TEST");
    expect(read.json).toMatchObject({ id: "ZZ_TEST", data: { price: 2 } });
    const doc = await worker.fetch(
      new Request("http://worker.test/api/graph", { headers: { authorization: `Bearer ${TOKEN}` } }),
      workerEnv,
    );
    expect(doc.status).toBe(200);
    const text = await doc.text();
    expect(JSON.parse(text).nodes.ZZ_TEST.data.price).toBe(2);
    const stats = await call(workerEnv, "GET", "/api/graph/stats");
    expect(doc.headers.get("etag")).toBe(`"${(stats.json as { seq: number }).seq}"`);
  });

  it("the Cron Trigger runs morning_briefing in the object and records it in the history", async () => {
    const workerEnv = freshGraphEnv();
    const pending: Promise<unknown>[] = [];
    await worker.scheduled({}, workerEnv, { waitUntil: (p) => pending.push(p) });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const history = await call(workerEnv, "GET", "/api/workflows/history?workflow=morning_briefing");
    expect(history.status).toBe(200);
    const runs = history.json as Array<{ workflow: string; steps: unknown[] }>;
    expect(runs[0]).toMatchObject({ workflow: "morning_briefing" });
    expect(runs[0]!.steps.length).toBeGreaterThan(1);
  });

  it("the alarm makes the daily version and schedules the next one", async () => {
    const workerEnv = freshGraphEnv();
    expect((await call(workerEnv, "GET", "/api/graph/versions")).json).toEqual([]);
    const stub = graphObject(workerEnv);
    const scheduled = await runInDurableObject(stub, (_o: GraphObject, state) => state.storage.getAlarm());
    expect(scheduled).toBeGreaterThan(Date.now());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const versions = (await call(workerEnv, "GET", "/api/graph/versions")).json as Array<{ id: string }>;
    expect(versions).toHaveLength(1);
    const next = await runInDurableObject(stub, (_o: GraphObject, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now() + 23 * 60 * 60 * 1000);
  });

  it("point-in-time recovery refuses a bad time, and says so where the runtime lacks it", async () => {
    const workerEnv: WorkerEnv = freshGraphEnv();
    const bad = await call(workerEnv, "POST", "/api/admin/point-in-time-recovery", { at: "soon" });
    expect(bad.status).toBe(400);
    const unauthenticated = await worker.fetch(
      new Request("http://worker.test/api/admin/point-in-time-recovery", { method: "POST" }),
      workerEnv,
    );
    expect(unauthenticated.status).toBe(401);
    const attempt = await call(workerEnv, "POST", "/api/admin/point-in-time-recovery", {
      at: new Date(Date.now() - 60_000).toISOString(),
    });
    // Local workerd: 501 and nothing changed. (On Cloudflare this answers 202 and restarts.)
    expect([202, 501]).toContain(attempt.status);
    if (attempt.status === 501) expect(attempt.json).toMatchObject({ error: { code: "not_implemented" } });
  });

  it("serves the dashboard: client-side routes get index.html, a missing file the JSON 404, with the security headers", async () => {
    // The pool reads wrangler.jsonc, so ASSETS is the real binding over apps/dashboard/dist with
    // the configured not_found_handling (the platform's SPA mode would answer 200 with the page).
    const workerEnv = freshGraphEnv();
    expect(workerEnv.ASSETS, "the pool has no ASSETS binding: is apps/dashboard built?").toBeDefined();
    for (const path of ["/", "/patterns", "/graph/AAPL"]) {
      const page = await worker.fetch(new Request(`http://worker.test${path}`), workerEnv);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type"), path).toMatch(/text\/html/);
      expect(await page.text(), path).toContain('<div id="app">');
      // The app's security headers, as on Node: no other site may frame the dashboard.
      expect(page.headers.get("x-frame-options"), path).toBe("SAMEORIGIN");
      expect(page.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
    for (const path of ["/no-such-file.js", "/assets/no-such-chunk.js", "/favicon.ico"]) {
      const missing = await worker.fetch(new Request(`http://worker.test${path}`), workerEnv);
      expect(missing.status, path).toBe(404);
      expect(await missing.json(), path).toMatchObject({ error: { code: "not_found" } });
    }
  });
});
