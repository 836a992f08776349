/**
 * Issue 4, "Done when": SIGKILL the server while 50 clients PUT distinct nodes; after a restart
 * on the same storage directory (taking over the dead process's lock) every node whose PUT got a
 * 2xx is present, with the data that was sent, and `GET /api/integrity` is ok.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allNodes, http, is2xx, makeTempDir, startPutLoad, startServer } from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses();

describe("server killed with SIGKILL under a 50-client PUT load", () => {
  it("keeps every acknowledged node; the restart takes over the dead process's lock", async () => {
    const dir = await makeTempDir("dawsos-kill-");
    const first = await startServer({ storageDir: dir });
    const health = await http(first.url, "GET", "/health", { token: null });
    expect(health.status).toBe(200);

    const load = startPutLoad(first.url, { clients: 50 });
    // Let the load run until a good number of PUTs has been acknowledged (bounded: 1.5–8 s).
    const started = Date.now();
    while (Date.now() - started < 8_000) {
      await new Promise((r) => setTimeout(r, 100));
      if (Date.now() - started >= 1_500 && load.records.filter((r) => is2xx(r.status)).length >= 50) break;
    }
    first.child.kill("SIGKILL");
    const exit = await first.waitForExit(10_000);
    expect(exit.signal).toBe("SIGKILL");
    // Every loop ends on its own at its first connection error.
    await Promise.race([
      load.done,
      new Promise((_, reject) => setTimeout(() => reject(new Error("load loops did not stop")), 20_000)),
    ]);

    const acked = load.records.filter((r) => is2xx(r.status));
    expect(acked.length).toBeGreaterThanOrEqual(50);
    // Every 2xx was a complete response naming the node (201: each id is PUT once).
    for (const r of acked) {
      expect(r.status, r.id).toBe(201);
      expect(r.complete, r.id).toBe(true);
    }
    // No client saw anything but a 2xx or a connection error.
    expect(load.records.filter((r) => r.status !== 0 && !is2xx(r.status))).toEqual([]);

    // The dead process's lock is still there, naming it…
    const lockPath = join(dir, ".lock");
    expect(existsSync(lockPath)).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, "utf8")).pid).toBe(first.pid);

    // …and the restart takes it over.
    const second = await startServer({ storageDir: dir });
    expect(JSON.parse(readFileSync(lockPath, "utf8")).pid).toBe(second.pid);

    const nodes = await allNodes(second.url);
    const missing = acked.filter((r) => !nodes.has(r.id)).map((r) => r.id);
    expect(missing, "acknowledged PUTs lost by the crash").toEqual([]);
    for (const r of acked) {
      expect(nodes.get(r.id), r.id).toEqual({ type: "load", data: { client: r.client, i: r.i } });
    }
    // Nodes that survived but were never acknowledged can only be requests in flight at the kill.
    const sent = new Map(load.records.map((r) => [r.id, r]));
    for (const [id, node] of nodes) {
      if (node.type !== "load") continue;
      const r = sent.get(id);
      expect(r, `node ${id} was never sent`).toBeDefined();
      expect(node.data).toEqual({ client: r!.client, i: r!.i });
      if (!is2xx(r!.status)) expect(r!.status).toBe(0);
    }
    // Individual reads agree with the listing.
    for (const r of acked.slice(0, 20)) {
      const res = await http(second.url, "GET", `/api/nodes/${r.id}`);
      expect(res.status).toBe(200);
    }

    const integrity = await http(second.url, "GET", "/api/integrity");
    expect(integrity.status).toBe(200);
    expect(integrity.json).toMatchObject({ ok: true });
    const health2 = await http(second.url, "GET", "/health", { token: null });
    expect((health2.json as { graph: { nodes: number } }).graph.nodes).toBe(nodes.size);

    second.child.kill("SIGTERM");
    expect((await second.waitForExit(10_000)).code).toBe(0);
  });
});
