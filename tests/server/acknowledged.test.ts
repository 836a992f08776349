/**
 * Issue 10, "Nothing acknowledged is ever lost": each reproduction of the issue, black-box,
 * against the real Node server over loopback HTTP and the files on disk.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  http,
  makeTempDir,
  runCli,
  type ServerProc,
  spawnServer,
  startServer,
  TEST_TOKEN,
} from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses();

/** A request with a raw (possibly hostile) JSON text body. */
async function raw(server: ServerProc, method: string, path: string, body: string) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function seqOf(server: ServerProc): Promise<number> {
  const health = await http(server.url, "GET", "/health", { token: null });
  return (health.json as { graph: { seq: number } }).graph.seq;
}

async function stop(server: ServerProc): Promise<{ code: number | null; stderr: string }> {
  server.child.kill("SIGTERM");
  const exit = await server.waitForExit(15_000);
  return { code: exit.code, stderr: server.stderr() };
}

const deepArrays = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;

describe("hostile values are refused before anything is applied", () => {
  it("data nested 5,000 arrays deep is 400 naming the path; later writes survive a graceful stop and a restart", async () => {
    const dir = await makeTempDir("dawsos-deep-");
    const server = await startServer({ storageDir: dir });
    const before = await seqOf(server);

    const put = await raw(server, "PUT", "/api/nodes/DEEP", `{"type":"t","data":{"a":${deepArrays(5000)}}}`);
    expect(put.status).toBe(400);
    expect(put.json).toMatchObject({ error: { code: "validation_error" } });
    expect(JSON.stringify(put.json)).toContain("data.a");
    const batch = await raw(
      server,
      "POST",
      "/api/batch",
      `{"ops":[{"op":"put_node","id":"B1","type":"t","data":{}},{"op":"put_node","id":"B2","type":"t","data":{"x":${deepArrays(5000)}}}]}`,
    );
    expect(batch.status).toBe(400);
    expect(batch.json).toMatchObject({ error: { code: "validation_error", details: { index: 1 } } });
    // 64 levels are fine, 65 are not.
    expect(
      (await raw(server, "PUT", "/api/nodes/OK64", `{"type":"t","data":{"a":${deepArrays(63)}}}`)).status,
    ).toBe(201);
    expect(
      (await raw(server, "PUT", "/api/nodes/NO65", `{"type":"t","data":{"a":${deepArrays(64)}}}`)).status,
    ).toBe(400);
    expect(await seqOf(server)).toBe(before + 1);
    expect((await http(server.url, "GET", "/api/nodes/DEEP")).status).toBe(404);
    expect((await http(server.url, "GET", "/api/nodes/B1")).status).toBe(404);

    const acked = await http(server.url, "PUT", "/api/nodes/ACKED", { body: { type: "t", data: { v: 1 } } });
    expect(acked.status).toBe(201);
    const stopped = await stop(server);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toMatch(/Maximum call stack|shutdown failed/);

    const again = await startServer({ storageDir: dir });
    expect((await http(again.url, "GET", "/api/nodes/ACKED")).json).toMatchObject({ data: { v: 1 } });
    expect((await http(again.url, "GET", "/api/nodes/OK64")).status).toBe(200);
    expect((await http(again.url, "GET", "/api/integrity")).json).toMatchObject({ ok: true });
  });

  it("1e999 is 400 everywhere (put, patch, batch, edge metadata, pattern, graph import) and nothing changes", async () => {
    const dir = await makeTempDir("dawsos-inf-");
    const server = await startServer({ storageDir: dir });
    expect(
      (await http(server.url, "PUT", "/api/nodes/N", { body: { type: "t", data: { v: 1 } } })).status,
    ).toBe(201);
    const backupsBefore = (await http(server.url, "GET", "/api/backups")).json as unknown[];
    const before = await seqOf(server);
    const attempts: Array<[string, string, string]> = [
      ["PUT", "/api/nodes/X", '{"type":"t","data":{"price":1e999}}'],
      ["PUT", "/api/nodes/X", '{"type":"t","data":{"list":[1,-1e999]}}'],
      ["PATCH", "/api/nodes/N", '{"data":{"v":1e999}}'],
      [
        "POST",
        "/api/batch",
        '{"ops":[{"op":"patch_node","id":"N","data":{"v":2}},{"op":"patch_node","id":"N","data":{"w":1e999}}]}',
      ],
      ["POST", "/api/edges", '{"from":"N","to":"N","type":"self","metadata":{"w":1e999}}'],
      ["PUT", "/api/patterns/P", '{"type":"X","trigger_conditions":[],"weight":1e999}'],
      ["PUT", "/api/graph", '{"nodes":{"A":{"type":"t","data":{"x":1e999}}},"edges":[]}'],
      [
        "PUT",
        "/api/graph",
        `{"nodes":{"A":{"type":"t","data":{}}},"edges":[],"metadata":{"m":${deepArrays(5000)}}}`,
      ],
    ];
    for (const [method, path, body] of attempts) {
      const res = await raw(server, method, path, body);
      expect(res.status, `${method} ${path} ${body.slice(0, 80)}`).toBe(400);
      expect(res.json, body.slice(0, 80)).toMatchObject({ error: { code: "validation_error" } });
    }
    expect(await seqOf(server)).toBe(before);
    // A failed PUT /api/graph made no backup (repeated failures must not rotate good ones out).
    expect(((await http(server.url, "GET", "/api/backups")).json as unknown[]).length).toBe(
      backupsBefore.length,
    );
    const node = await http(server.url, "GET", "/api/nodes/N");
    expect(node.json).toMatchObject({ data: { v: 1 } });
    const graph = await http(server.url, "GET", "/api/graph");
    expect(graph.status).toBe(200);
    expect(graph.json).toMatchObject({ seq: before });
    expect((await http(server.url, "POST", "/api/backups")).status).toBe(201);
    expect((await stop(server)).code).toBe(0);
  });
});

describe("recovery never destroys", () => {
  it("graph.json deleted after 30 acknowledged PUTs and kill -9: the journal is replayed onto the seed", async () => {
    const dir = await makeTempDir("dawsos-missing-");
    const server = await startServer({ storageDir: dir });
    for (let i = 0; i < 30; i++) {
      const res = await http(server.url, "PUT", `/api/nodes/K${i}`, { body: { type: "t", data: { i } } });
      expect(res.status).toBe(201);
    }
    server.child.kill("SIGKILL");
    await server.waitForExit(10_000);
    const journal = await readFile(join(dir, "graph.journal"));
    expect(journal.length).toBeGreaterThan(0);
    await rm(join(dir, "graph.json"));

    const again = await startServer({ storageDir: dir });
    for (let i = 0; i < 30; i++) {
      expect((await http(again.url, "GET", `/api/nodes/K${i}`)).json).toMatchObject({ data: { i } });
    }
    const integrity = (await http(again.url, "GET", "/api/integrity")).json as {
      ok: boolean;
      recovery: { lossless: boolean; lost: string };
    };
    expect(integrity.ok).toBe(true);
    expect(integrity.recovery).toMatchObject({ lossless: true });
    expect(integrity.recovery.lost).toMatch(/^nothing/);
    // An intact journal is not kept as "damaged".
    expect((await readdir(dir)).filter((f) => f.includes(".damaged-"))).toEqual([]);
    expect(again.stderr()).toContain('"event":"recovered"');
  });

  it("graph.json deleted with nothing that continues it: refuses to start and changes nothing", async () => {
    const dir = await makeTempDir("dawsos-refuse-");
    const server = await startServer({ storageDir: dir });
    expect((await http(server.url, "PUT", "/api/nodes/GONE", { body: { type: "t" } })).status).toBe(201);
    expect((await stop(server)).code).toBe(0); // the journal is folded into graph.json
    await rm(join(dir, "graph.json"));
    const listing = async () => {
      const out: Record<string, number> = {};
      for (const f of await readdir(dir)) if (f !== ".lock") out[f] = (await stat(join(dir, f))).size;
      return out;
    };
    const before = await listing();
    const refused = spawnServer({ storageDir: dir });
    const exit = await refused.waitForExit(20_000);
    expect(exit.code).not.toBe(0);
    expect(refused.stderr()).toMatch(/graph\.json/);
    expect(await listing()).toEqual(before);
    expect(existsSync(join(dir, "graph.json"))).toBe(false);
  });

  it("after a lossy recovery, dawsos verify fails until --ack-recovery", async () => {
    const dir = await makeTempDir("dawsos-lossy-");
    const server = await startServer({ storageDir: dir });
    expect((await http(server.url, "POST", "/api/graph/save")).status).toBe(201);
    expect((await http(server.url, "PUT", "/api/nodes/LATE", { body: { type: "t" } })).status).toBe(201);
    expect((await stop(server)).code).toBe(0);
    // Damage graph.json: the journal is empty (folded at stop), so LATE exists only there.
    const path = join(dir, "graph.json");
    const bytes = await readFile(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x04;
    await writeFile(path, bytes);
    const again = await startServer({ storageDir: dir });
    expect((await http(again.url, "GET", "/api/nodes/LATE")).status).toBe(404);
    expect((await stop(again)).code).toBe(0);

    const verify = await runCli(["verify", "--dir", dir]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/DAMAGED\s+recovery\/pending\.json.*lost/);
    const ack = await runCli(["verify", "--ack-recovery", "--dir", dir]);
    expect(ack.code, ack.stdout + ack.stderr).toBe(0);
    expect(ack.stdout).toContain("healthy");
    expect((await runCli(["verify", "--dir", dir])).code).toBe(0);
  });
});

describe("backup and version ids", () => {
  it("45 concurrent backups get 45 distinct ids; every kept one restores", async () => {
    const dir = await makeTempDir("dawsos-ids-");
    const server = await startServer({ storageDir: dir });
    const made = await Promise.all(
      Array.from({ length: 45 }, () => http(server.url, "POST", "/api/backups", { timeoutMs: 60_000 })),
    );
    const ids = made.map((r) => {
      expect(r.status).toBe(201);
      return (r.json as { id: string }).id;
    });
    expect(new Set(ids).size).toBe(45);
    for (const id of ids) expect(id).toMatch(/^\d{8}_\d{6}(-\d+)?$/);
    const listed = ((await http(server.url, "GET", "/api/backups")).json as Array<{ id: string }>).map(
      (b) => b.id,
    );
    expect(listed.length).toBe(30);
    // The newest 30 handed out are the 30 kept, in creation order.
    const byCreation = [...ids];
    expect(listed).toEqual(byCreation.slice(-30).reverse());
    // The oldest kept first: its restore's safety backup then rotates the next oldest out, never it.
    for (const id of [listed[29]!, listed[0]!]) {
      expect((await http(server.url, "POST", `/api/backups/${id}/restore`)).status, id).toBe(200);
    }
  });

  it("a restore's safety backup survives retention even after 31 backups in one second", async () => {
    const dir = await makeTempDir("dawsos-safety-");
    const server = await startServer({ storageDir: dir });
    const made = await Promise.all(
      Array.from({ length: 31 }, () => http(server.url, "POST", "/api/backups")),
    );
    expect(new Set(made.map((r) => (r.json as { id: string }).id)).size).toBe(31);
    expect((await http(server.url, "PUT", "/api/nodes/PRECIOUS", { body: { type: "t" } })).status).toBe(201);
    const listedBefore = ((await http(server.url, "GET", "/api/backups")).json as Array<{ id: string }>).map(
      (b) => b.id,
    );
    const target = listedBefore[listedBefore.length - 1]!; // the oldest kept
    expect((await http(server.url, "POST", `/api/backups/${target}/restore`)).status).toBe(200);
    expect((await http(server.url, "GET", "/api/nodes/PRECIOUS")).status).toBe(404);
    // The safety backup is the newest and holds PRECIOUS.
    const listed = (await http(server.url, "GET", "/api/backups")).json as Array<{ id: string }>;
    const safety = listed[0]!.id;
    expect(listedBefore).not.toContain(safety);
    expect((await http(server.url, "POST", `/api/backups/${safety}/restore`)).status).toBe(200);
    expect((await http(server.url, "GET", "/api/nodes/PRECIOUS")).status).toBe(200);
  });
});
