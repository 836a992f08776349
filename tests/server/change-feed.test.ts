/**
 * Issue 14, the change feed and audit trail on Node: the real server over loopback HTTP, the
 * real CLI, the files on disk. No timing assertions: every wait is for an event, bounded only
 * so a broken build fails instead of hanging.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { http, is2xx, makeTempDir, runCli, type ServerProc, startServer } from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";
import { openSse, seqsOf } from "../support/sse-client.ts";

useServerProcesses();

async function seqOf(server: ServerProc): Promise<number> {
  const health = await http(server.url, "GET", "/health", { token: null });
  return (health.json as { graph: { seq: number } }).graph.seq;
}

async function stop(server: ServerProc): Promise<void> {
  server.child.kill("SIGTERM");
  const exit = await server.waitForExit(15_000);
  expect(exit.code).toBe(0);
}

/** `count` writes from `clients` concurrent clients; resolves with the statuses. */
async function burst(server: ServerProc, count: number, clients: number, prefix: string): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const res = await http(server.url, "PUT", `/api/nodes/${prefix}${i}`, {
          body: { type: "burst", data: { i } },
        });
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

interface Item {
  seq: number;
  at: string;
  source: string | null;
  actor?: string;
  changes: Array<{ op: string; id?: string; node?: { id: string } }>;
  replaced?: unknown;
}

describe("GET /api/changes as an SSE stream", () => {
  it("two subscribers see every change of a 1,000-write burst exactly once and in order", async () => {
    const server = await startServer({ storageDir: await makeTempDir("dawsos-feed-") });
    const start = await seqOf(server);
    const a = await openSse(server.url, `/api/changes?since=${start}`);
    const b = await openSse(server.url, "/api/changes"); // no since: from now on
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const statuses = await burst(server, 1000, 16, "B");
    expect(statuses.every(is2xx)).toBe(true);
    const end = await seqOf(server);
    expect(end).toBe(start + 1000);
    for (const stream of [a, b]) {
      await stream.until((events) => seqsOf(events).includes(end));
      const seqs = seqsOf(stream.events);
      // Exactly once, in order, no gaps: start+1 … end.
      expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => start + 1 + i));
      const ids = stream.events.map((e) => (JSON.parse(e.data) as Item).changes[0]!.node!.id);
      expect(new Set(ids).size).toBe(1000);
      expect(stream.events.every((e) => (JSON.parse(e.data) as Item).source === "api")).toBe(true);
    }
    a.destroy();
    b.destroy();
  });

  it("resuming with Last-Event-ID after a forced disconnect misses nothing", async () => {
    const server = await startServer({ storageDir: await makeTempDir("dawsos-feed-") });
    const start = await seqOf(server);
    const first = await openSse(server.url, `/api/changes?since=${start}`);
    const writing = burst(server, 300, 4, "R");
    await first.until((events) => seqsOf(events).length >= 50);
    first.destroy(); // mid-burst
    const seen = seqsOf(first.events);
    const last = seen[seen.length - 1]!;
    // Last-Event-ID (what EventSource sends on reconnect) wins over a stale `since`.
    const second = await openSse(server.url, `/api/changes?since=${start}`, { lastEventId: String(last) });
    expect((await writing).every(is2xx)).toBe(true);
    const end = await seqOf(server);
    await second.until((events) => seqsOf(events).includes(end));
    expect([...seen, ...seqsOf(second.events)]).toEqual(
      Array.from({ length: end - start }, (_, i) => start + 1 + i),
    );
    second.destroy();
  });

  it("a subscriber that reads nothing gets resync and its stream closes; writers are not held back", async () => {
    const server = await startServer({
      storageDir: await makeTempDir("dawsos-feed-"),
      env: { DAWSOS_FEED_MAX_LAG: "20", DAWSOS_FEED_RESYNC_GRACE_MS: "600000" },
    });
    // 48 KiB per change: 300 of them are far more than the loopback socket buffers hold, so
    // the server's writes to the stalled subscriber block.
    const payload = "x".repeat(48 * 1024);
    const write = async (i: number) =>
      (await http(server.url, "PATCH", "/api/nodes/AAPL", { body: { data: { blob: payload, i } } })).status;
    const writeAll = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 300; i++) statuses.push(await write(i));
      return statuses;
    };
    // Without a subscriber, then with a stalled one: every write is acknowledged both times.
    expect((await writeAll()).every((s) => s === 200)).toBe(true);
    const stalled = await openSse(server.url, "/api/changes");
    stalled.pause();
    expect((await writeAll()).every((s) => s === 200)).toBe(true);
    // The subscriber reads again: what was in flight, then `resync`, then the end.
    stalled.resume();
    await stalled.ended;
    const last = stalled.events[stalled.events.length - 1];
    expect(last?.event).toBe("resync");
    expect(seqsOf(stalled.events).length).toBeLessThan(300);
    // The server is fine: a new subscriber follows from where the stalled one should reload.
    expect((await http(server.url, "GET", "/api/graph/stats")).status).toBe(200);
  });

  it("an idle stream gets heartbeats, and still delivers the next change after them", async () => {
    const server = await startServer({
      storageDir: await makeTempDir("dawsos-feed-"),
      env: { DAWSOS_FEED_HEARTBEAT_MS: "100" },
    });
    const stream = await openSse(server.url, "/api/changes");
    const deadline = Date.now() + 10_000;
    while (stream.comments < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stream.comments).toBeGreaterThanOrEqual(2);
    const written = await http(server.url, "PATCH", "/api/nodes/AAPL", { body: { data: { price: 1 } } });
    expect(written.status).toBe(200);
    await stream.until((events) => events.some((e) => e.event === "change"));
    stream.destroy();
  });

  it("caps concurrent subscribers with the error envelope", async () => {
    const server = await startServer({
      storageDir: await makeTempDir("dawsos-feed-"),
      env: { DAWSOS_FEED_MAX_SUBSCRIBERS: "1" },
    });
    const one = await openSse(server.url, "/api/changes");
    const two = await openSse(server.url, "/api/changes");
    expect(one.status).toBe(200);
    expect(two.status).toBe(503);
    await two.ended;
    expect(JSON.parse(two.errorBody)).toMatchObject({ error: { code: "rate_limited" } });
    // Auth as on every /api route.
    const anonymous = await openSse(server.url, "/api/changes", { token: null });
    expect(anonymous.status).toBe(401);
    one.destroy();
  });
});

describe("GET /api/changes as JSON pages, retention and history", () => {
  it("pages follow next_since; since older than retention is 410 gone with the oldest seq", async () => {
    const server = await startServer({
      storageDir: await makeTempDir("dawsos-feed-"),
      env: { DAWSOS_CHANGES_MAX_RECORDS: "10" },
    });
    const start = await seqOf(server);
    expect((await burst(server, 30, 1, "P")).every(is2xx)).toBe(true);
    const gone = await http(server.url, "GET", `/api/changes?since=${start}`);
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ error: { code: "gone", details: { oldest: start + 20 } } });
    const sse = await openSse(server.url, `/api/changes?since=${start}`);
    expect(sse.status).toBe(410);
    let since = start + 20;
    const seqs: number[] = [];
    for (;;) {
      const page = await http(server.url, "GET", `/api/changes?since=${since}&limit=4`);
      expect(page.status).toBe(200);
      const body = page.json as { items: Item[]; next_since: number };
      if (body.items.length === 0) break;
      seqs.push(...body.items.map((i) => i.seq));
      since = body.next_since;
    }
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => start + 21 + i));
  });

  it("records the source of an API write (with the token's label), a workflow run, an import, a restore and a CLI write; history survives compaction and restarts", async () => {
    const dir = await makeTempDir("dawsos-feed-");
    let server = await startServer({ storageDir: dir, env: { DAWSOS_API_TOKEN_LABEL: "ops-bot" } });
    const start = await seqOf(server);
    expect(
      (await http(server.url, "PATCH", "/api/nodes/AAPL", { body: { data: { price: 1 } } })).status,
    ).toBe(200);
    // regime_check writes the regime node when a REGIME_SHIFT pattern from its state triggers.
    expect(
      (
        await http(server.url, "PUT", "/api/nodes/ECONOMIC_REGIME", {
          body: { type: "regime", data: { current_state: "A", states: ["A", "B"] } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await http(server.url, "PUT", "/api/patterns/p_feed_test", {
          body: {
            type: "REGIME_SHIFT",
            description: "test",
            trigger_conditions: ["AAPL.data.price > 0"],
            confidence: 1,
            from_state: "A",
            to_state: "B",
          },
        })
      ).status,
    ).toBe(201);
    const run = await http(server.url, "POST", "/api/workflows/regime_check/run");
    expect(run.json).toMatchObject({ status: "completed" });
    const backup = await http(server.url, "POST", "/api/backups");
    expect(backup.status).toBe(201);
    const document = await http(server.url, "GET", "/api/graph");
    expect((await http(server.url, "PUT", "/api/graph", { body: document.json })).status).toBe(200);
    const id = (backup.json as { id: string }).id;
    expect((await http(server.url, "POST", `/api/backups/${id}/restore`)).status).toBe(200);

    const page = (await http(server.url, "GET", `/api/changes?since=${start}`)).json as { items: Item[] };
    const sources = page.items.map((i) => i.source);
    expect(sources).toEqual(["api", "api", "api", "workflow:regime_check", "import", "restore"]);
    expect(page.items.slice(0, 3).every((i) => i.actor === "ops-bot")).toBe(true);
    expect(page.items[4]!.replaced).toBeDefined();
    expect(page.items[5]!.replaced).toBeDefined();
    // Each record also carries the time of its commit.
    expect(page.items.every((i) => !Number.isNaN(Date.parse(i.at)))).toBe(true);

    // Compaction folds the journal; the history stays (segments under changes/).
    expect((await http(server.url, "POST", "/api/graph/save")).status).toBe(201);
    const history = (await http(server.url, "GET", "/api/nodes/ECONOMIC_REGIME/history")).json as Array<{
      seq: number;
      source: string;
      op: string;
    }>;
    expect(history.map((h) => [h.source, h.op])).toEqual([
      ["workflow:regime_check", "patch_node"],
      ["api", "put_node"],
    ]);
    expect(history[0]!.seq).toBeGreaterThan(history[1]!.seq);
    await stop(server);

    const cli = await runCli(["--dir", dir, "patch", "AAPL", '{"price":2}']);
    expect(cli.code).toBe(0);
    const listed = await runCli(["--dir", dir, "history", "AAPL"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/ cli {2}patch_node /);

    server = await startServer({ storageDir: dir });
    const aapl = (await http(server.url, "GET", "/api/nodes/AAPL/history")).json as Array<{
      source: string;
      actor?: string;
      op: string;
    }>;
    expect(aapl.slice(0, 2).map((h) => [h.source, h.actor])).toEqual([
      ["cli", undefined],
      ["api", "ops-bot"],
    ]);
    await stop(server);
    const segments = await readdir(join(dir, "changes"));
    expect(segments.length).toBeGreaterThan(0);
    expect(segments.every((f) => /^\d+-\d+\.jsonl$/.test(f))).toBe(true);
  });

  it("dawsos verify checks the change segments and reports a damaged one", async () => {
    const dir = await makeTempDir("dawsos-feed-");
    const server = await startServer({ storageDir: dir });
    expect((await burst(server, 5, 1, "V")).every(is2xx)).toBe(true);
    await stop(server); // compacts: the records go to a segment
    expect((await runCli(["--dir", dir, "verify"])).code).toBe(0);
    const [segment] = await readdir(join(dir, "changes"));
    const path = join(dir, "changes", segment!);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"i":2', '"i":7'));
    const verify = await runCli(["--dir", dir, "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`DAMAGED  changes/${segment}`);
  });
});
