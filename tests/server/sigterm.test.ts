/**
 * Issue 4, "Done when" and SPEC section 2: SIGTERM (and SIGINT) while 50 clients PUT distinct
 * nodes. The server stops accepting, finishes the requests in flight, folds the journal into
 * graph.json, releases its lock and exits 0 within 10 s; after a restart every acknowledged node
 * is present and the integrity check is ok.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  allNodes,
  http,
  is2xx,
  makeTempDir,
  requestLogs,
  startPutLoad,
  startServer,
} from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses();

const seqOf = (dir: string) => JSON.parse(readFileSync(join(dir, "graph.json"), "utf8")).seq as number;

describe("graceful shutdown", () => {
  it("SIGTERM under a 50-client PUT load: in-flight requests finish, journal folded, lock released, exit 0", async () => {
    const dir = await makeTempDir("dawsos-sigterm-");
    const server = await startServer({ storageDir: dir });
    const before = (await http(server.url, "GET", "/health", { token: null })).json as {
      graph: { seq: number };
    };
    const baseSeq = before.graph.seq;

    const load = startPutLoad(server.url, { clients: 50 });
    const started = Date.now();
    while (Date.now() - started < 8_000) {
      await new Promise((r) => setTimeout(r, 100));
      if (Date.now() - started >= 1_500 && load.records.filter((r) => is2xx(r.status)).length >= 50) break;
    }
    // The journal holds the acknowledged changes (so "folded" below means something).
    expect(statSync(join(dir, "graph.journal")).size).toBeGreaterThan(0);
    expect(existsSync(join(dir, ".lock"))).toBe(true);

    const sigtermAt = Date.now();
    server.child.kill("SIGTERM");
    const exit = await server.waitForExit(12_000);
    const exitedAfterMs = Date.now() - sigtermAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(10_000);
    await Promise.race([
      load.done,
      new Promise((_, reject) => setTimeout(() => reject(new Error("load loops did not stop")), 20_000)),
    ]);
    expect(server.stdout()).toMatch(/"event":"stopping","signal":"SIGTERM"/);

    // Lock released, journal folded into graph.json.
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    expect(statSync(join(dir, "graph.journal")).size).toBe(0);

    const acked = load.records.filter((r) => is2xx(r.status));
    expect(acked.length).toBeGreaterThanOrEqual(50);
    for (const r of acked) expect(r.complete, `${r.id}: incomplete 2xx response`).toBe(true);
    expect(load.records.filter((r) => r.status !== 0 && !is2xx(r.status))).toEqual([]);

    // Every PUT the server handled (its request log) reached its client as a complete response:
    // nothing in flight at SIGTERM was cut off.
    const handled = requestLogs(server).filter((l) => l.method === "PUT" && l.path.startsWith("/api/nodes/"));
    const handledOk = new Set(handled.filter((l) => is2xx(l.status)).map((l) => l.request_id));
    const ackedIds = new Set(acked.map((r) => r.id));
    expect(
      [...handledOk].filter((id) => !ackedIds.has(id)),
      "handled by the server, lost in transit",
    ).toEqual([]);
    expect([...ackedIds].filter((id) => !handledOk.has(id))).toEqual([]);
    // Requests sent before SIGTERM and answered after it: the in-flight ones that were finished.
    const finishedInFlight = acked.filter((r) => r.sentAt < sigtermAt && r.endedAt >= sigtermAt);
    expect(finishedInFlight.length).toBeGreaterThan(0);

    // graph.json's seq counts exactly the acknowledged changes (each PUT is one change).
    expect(seqOf(dir)).toBe(baseSeq + acked.length);

    const again = await startServer({ storageDir: dir });
    const nodes = await allNodes(again.url);
    const missing = acked.filter((r) => !nodes.has(r.id)).map((r) => r.id);
    expect(missing, "acknowledged PUTs lost by the shutdown").toEqual([]);
    for (const r of acked)
      expect(nodes.get(r.id)).toEqual({ type: "load", data: { client: r.client, i: r.i } });
    // Nothing unacknowledged was applied either.
    expect([...nodes.values()].filter((n) => n.type === "load").length).toBe(acked.length);
    const integrity = await http(again.url, "GET", "/api/integrity");
    expect(integrity.status).toBe(200);
    expect(integrity.json).toMatchObject({ ok: true });
    const health = (await http(again.url, "GET", "/health", { token: null })).json as {
      graph: { seq: number };
    };
    expect(health.graph.seq).toBe(baseSeq + acked.length);
  });

  it("SIGINT: folds the journal, releases the lock, exits 0", async () => {
    const dir = await makeTempDir("dawsos-sigint-");
    const server = await startServer({ storageDir: dir });
    for (let i = 0; i < 5; i++) {
      const res = await http(server.url, "PUT", `/api/nodes/n${i}`, { body: { type: "t", data: { i } } });
      expect(res.status).toBe(201);
    }
    expect(statSync(join(dir, "graph.journal")).size).toBeGreaterThan(0);
    const seq = (
      (await http(server.url, "GET", "/health", { token: null })).json as { graph: { seq: number } }
    ).graph.seq;

    server.child.kill("SIGINT");
    expect(await server.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    expect(statSync(join(dir, "graph.journal")).size).toBe(0);
    expect(seqOf(dir)).toBe(seq);
    const doc = JSON.parse(readFileSync(join(dir, "graph.json"), "utf8"));
    for (let i = 0; i < 5; i++) expect(doc.nodes[`n${i}`].data).toEqual({ i });
  });

  it("SIGTERM with an idle keep-alive connection open still exits promptly", async () => {
    const dir = await makeTempDir("dawsos-sigterm-idle-");
    const server = await startServer({ storageDir: dir });
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const res = await http(server.url, "PUT", "/api/nodes/idle", { body: { type: "t", data: {} }, agent });
      expect(res.status).toBe(201);
      // The socket stays open (keep-alive) and idle.
      const t0 = Date.now();
      server.child.kill("SIGTERM");
      expect(await server.waitForExit(10_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      agent.destroy();
    }
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });
});
