/**
 * Issue 14, the change feed on the Worker: `GET /api/changes` (JSON and SSE) and node history,
 * served by the `GraphObject` from its `changes` table, through the Worker's gateway
 * (`worker.fetch` → `stub.fetch`), in workerd. The Node version is tests/server/change-feed.test.ts.
 * No timing assertions: every wait is for an event, bounded only so a broken build fails.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { ManualClock } from "@dawsos/core";
import { type SqlDatabase, SqliteGraphStore } from "@dawsos/core/sqlite-store";
import { R2Storage } from "@dawsos/storage-kv";
import { describe, expect, it } from "vitest";
import type { WorkerEnv } from "../src/env.ts";
import type { GraphObject } from "../src/graph-object.ts";
import worker, { graphObject } from "../src/index.ts";
import type { ObjectStoreOptions } from "../src/object-services.ts";
import { SseStream, seqsOf } from "./sse.ts";
import { call, freshGraphEnv, TOKEN, uniquePrefix } from "./support.ts";

const SEED = { nodes: { AAPL: { type: "stock", data: { symbol: "AAPL", price: 1 } } }, edges: [] };

interface Item {
  seq: number;
  at: string;
  source: string | null;
  actor?: string;
  changes: Array<{ op: string; id?: string; node?: { id: string } }>;
  replaced?: unknown;
}

/** A graph of its own, its object opened with `options` (before any request reaches it). */
async function graph(options: ObjectStoreOptions = {}): Promise<WorkerEnv> {
  const workerEnv = freshGraphEnv();
  await runInDurableObject(graphObject(workerEnv), async (object: GraphObject) => {
    await object.services({ seed: SEED, ...options });
  });
  return workerEnv;
}

/** Open change streams in the object (what a disconnect must bring down again). */
function subscribersOf(workerEnv: WorkerEnv): Promise<number> {
  return runInDurableObject(
    graphObject(workerEnv),
    async (object: GraphObject) => (await object.store()).changes.subscribers,
  );
}

async function seqOf(workerEnv: WorkerEnv): Promise<number> {
  return ((await call(workerEnv, "GET", "/api/graph/stats")).json as { seq: number }).seq;
}

/** `count` PUTs of distinct nodes from `clients` concurrent clients; resolves with the statuses. */
async function burst(
  workerEnv: WorkerEnv,
  count: number,
  clients: number,
  prefix: string,
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const reply = await call(workerEnv, "PUT", `/api/nodes/${prefix}${i}`, {
          type: "burst",
          data: { i },
        });
        statuses.push(reply.status);
      }
    }),
  );
  return statuses;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("GET /api/changes as an SSE stream through the Worker", () => {
  it("two subscribers see every change of a 1,000-write burst exactly once and in order", async () => {
    const workerEnv = await graph();
    const start = await seqOf(workerEnv);
    const a = await SseStream.open(workerEnv, `/api/changes?since=${start}`);
    const b = await SseStream.open(workerEnv, "/api/changes"); // no since: from now on
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await burst(workerEnv, 1000, 8, "B")).every((s) => s === 201)).toBe(true);
    const end = await seqOf(workerEnv);
    expect(end).toBe(start + 1000);
    for (const stream of [a, b]) {
      await stream.until((events) => seqsOf(events).includes(end));
      // Exactly once, in order, no gaps: start+1 … end.
      expect(seqsOf(stream.events)).toEqual(range(start + 1, end));
      const items = stream.events.map((e) => JSON.parse(e.data) as Item);
      expect(new Set(items.map((i) => i.changes[0]!.node!.id)).size).toBe(1000);
      expect(items.every((i) => i.source === "api")).toBe(true);
    }
    await a.cancel();
    await b.cancel();
  });

  it("resuming with Last-Event-ID after a forced disconnect misses nothing; the dropped stream ends in the object", async () => {
    const workerEnv = await graph();
    const start = await seqOf(workerEnv);
    const first = await SseStream.open(workerEnv, `/api/changes?since=${start}`);
    const writing = burst(workerEnv, 300, 4, "R");
    await first.until((events) => seqsOf(events).length >= 50);
    await first.cancel(); // mid-burst
    const seen = seqsOf(first.events);
    // Last-Event-ID (what EventSource sends on reconnect) wins over a stale `since`.
    const second = await SseStream.open(workerEnv, `/api/changes?since=${start}`, {
      lastEventId: String(seen[seen.length - 1]),
    });
    expect((await writing).every((s) => s === 201)).toBe(true);
    const end = await seqOf(workerEnv);
    await second.until((events) => seqsOf(events).includes(end));
    expect([...seen, ...seqsOf(second.events)]).toEqual(range(start + 1, end));
    // The cancelled stream's subscription was closed in the object: only the second is open.
    for (let i = 0; (await subscribersOf(workerEnv)) !== 1; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await second.cancel();
  });

  it("a consumer that reads nothing gets resync (then the end) while every write is acknowledged", async () => {
    const workerEnv = await graph({ feedLimits: { maxLag: 20, resyncGraceMs: 600_000 } });
    // 48 KiB per change: 300 of them are far more than the stream's buffers between the
    // object and this reader hold, so the object's writes to the stalled stream block.
    const payload = "x".repeat(48 * 1024);
    const stalled = await SseStream.open(workerEnv, "/api/changes");
    stalled.pause();
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      statuses.push(
        (await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { blob: payload, i } })).status,
      );
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    // It reads again: what was in flight, then `resync`, then the end of the stream.
    stalled.resume();
    await stalled.ended;
    expect(stalled.events[stalled.events.length - 1]?.event).toBe("resync");
    expect(seqsOf(stalled.events).length).toBeLessThan(300);
    expect(await subscribersOf(workerEnv)).toBe(0);
  });

  it("an idle stream gets heartbeats; the subscriber cap answers 503 rate_limited; auth as on every route", async () => {
    const workerEnv = await graph({ feedLimits: { heartbeatMs: 100, maxSubscribers: 1 } });
    const stream = await SseStream.open(workerEnv, "/api/changes");
    for (let i = 0; stream.comments < 2; i++) {
      expect(i).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const second = await SseStream.open(workerEnv, "/api/changes");
    expect(second.status).toBe(503);
    await second.ended;
    expect(JSON.parse(second.errorBody)).toMatchObject({ error: { code: "rate_limited" } });
    const anonymous = await SseStream.open(workerEnv, "/api/changes", { token: null });
    expect(anonymous.status).toBe(401);
    await anonymous.ended;
    expect((await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { price: 2 } })).status).toBe(200);
    await stream.until((events) => events.some((e) => e.event === "change"));
    await stream.cancel();
  });
});

describe("GET /api/changes as JSON pages, retention and history, through the Worker", () => {
  it("pages follow next_since; since older than retention is 410 gone with details.oldest (JSON and SSE)", async () => {
    const workerEnv = await graph({ changeRetention: { maxRecords: 10 } });
    const start = await seqOf(workerEnv);
    expect((await burst(workerEnv, 30, 1, "P")).every((s) => s === 201)).toBe(true);
    const gone = await call(workerEnv, "GET", `/api/changes?since=${start}`);
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ error: { code: "gone", details: { oldest: start + 20 } } });
    const sse = await SseStream.open(workerEnv, `/api/changes?since=${start}`);
    expect(sse.status).toBe(410);
    await sse.ended;
    expect(JSON.parse(sse.errorBody)).toMatchObject({
      error: { code: "gone", details: { oldest: start + 20 } },
    });
    let since = start + 20;
    const seqs: number[] = [];
    for (;;) {
      const page = await call(workerEnv, "GET", `/api/changes?since=${since}&limit=4`);
      expect(page.status).toBe(200);
      const body = page.json as { items: Item[]; next_since: number };
      if (body.items.length === 0) break;
      seqs.push(...body.items.map((i) => i.seq));
      since = body.next_since;
    }
    expect(seqs).toEqual(range(start + 21, start + 30));
  });

  it("a write that fails never appears: a refused batch, and a failure injected inside the transaction", async () => {
    const workerEnv = await graph();
    const start = await seqOf(workerEnv);
    const refused = await call(workerEnv, "POST", "/api/batch", {
      ops: [
        { op: "put_node", id: "X", type: "t", data: {} },
        { op: "add_edge", from: "X", to: "MISSING", type: "t" },
      ],
    });
    expect(refused.status).toBe(400);
    expect((await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { price: 2 } })).status).toBe(200);
    const page = (await call(workerEnv, "GET", `/api/changes?since=${start}`)).json as { items: Item[] };
    expect(page.items.map((i) => [i.seq, i.changes.map((c) => c.op)])).toEqual([[start + 1, ["patch_node"]]]);

    // In workerd's own SQLite: the feed upkeep is the commit's last work, and a statement of
    // it failing rolls the whole commit back — graph, seq and record.
    const stub = env.GRAPH_OBJECT!.get(env.GRAPH_OBJECT!.idFromName(crypto.randomUUID()));
    const outcome = await runInDurableObject(stub, async (_object, state) => {
      let failing = false;
      const db: SqlDatabase = {
        sql: {
          exec: (query, ...bindings) => {
            if (failing && query.startsWith("INSERT INTO change_nodes")) throw new Error("injected failure");
            return state.storage.sql.exec(query, ...bindings);
          },
        },
        transactionSync: (fn) => state.storage.transactionSync(fn),
      };
      const store = await SqliteGraphStore.open(db, {
        seed: SEED,
        archive: new R2Storage(env.GRAPH_BUCKET, { prefix: uniquePrefix("feed") }),
      });
      await store.patchNode("AAPL", { price: 2 });
      failing = true;
      const error = await store.patchNode("AAPL", { price: 3 }).then(
        () => null,
        (e: Error) => e.message,
      );
      failing = false;
      return {
        error,
        price: (await store.getNode("AAPL"))?.data.price,
        seq: await store.seq(),
        seqs: (await store.changes.changesSince(0)).items.map((i) => i.seq),
      };
    });
    expect(outcome).toEqual({ error: "injected failure", price: 2, seq: 1, seqs: [1] });
  });

  it("records the source of an API write (with the token's label), a workflow run, an import and a restore", async () => {
    const workerEnv = await graph({ tokenLabel: "ops-bot" });
    const start = await seqOf(workerEnv);
    expect((await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { price: 1 } })).status).toBe(200);
    // regime_check writes the regime node when a REGIME_SHIFT pattern from its state triggers.
    expect(
      (
        await call(workerEnv, "PUT", "/api/nodes/ECONOMIC_REGIME", {
          type: "regime",
          data: { current_state: "A", states: ["A", "B"] },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(workerEnv, "PUT", "/api/patterns/p_feed_test", {
          type: "REGIME_SHIFT",
          description: "test",
          trigger_conditions: ["AAPL.data.price > 0"],
          confidence: 1,
          from_state: "A",
          to_state: "B",
        })
      ).status,
    ).toBe(201);
    const run = await call(workerEnv, "POST", "/api/workflows/regime_check/run");
    expect(run.json).toMatchObject({ status: "completed" });
    const backup = await call(workerEnv, "POST", "/api/backups");
    expect(backup.status).toBe(201);
    const document = await call(workerEnv, "GET", "/api/graph");
    expect((await call(workerEnv, "PUT", "/api/graph", document.json)).status).toBe(200);
    const id = (backup.json as { id: string }).id;
    expect((await call(workerEnv, "POST", `/api/backups/${id}/restore`)).status).toBe(200);

    const page = (await call(workerEnv, "GET", `/api/changes?since=${start}`)).json as { items: Item[] };
    expect(page.items.map((i) => i.source)).toEqual([
      "api",
      "api",
      "api",
      "workflow:regime_check",
      "import",
      "restore",
    ]);
    expect(page.items.map((i) => i.actor)).toEqual([
      "ops-bot",
      "ops-bot",
      "ops-bot",
      undefined,
      "ops-bot",
      "ops-bot",
    ]);
    expect(page.items[4]!.replaced).toEqual({ nodes: 2, edges: 0, patterns: 1 });
    expect(page.items[5]!.replaced).toEqual({ nodes: 2, edges: 0, patterns: 1 });
    expect(page.items.every((i) => !Number.isNaN(Date.parse(i.at)))).toBe(true);
    expect(page.items[5]!.seq).toBe(await seqOf(workerEnv));

    const history = (await call(workerEnv, "GET", "/api/nodes/ECONOMIC_REGIME/history")).json as Array<{
      seq: number;
      source: string;
      actor?: string;
      op: string;
    }>;
    expect(history.map((h) => [h.source, h.op, h.actor])).toEqual([
      ["workflow:regime_check", "patch_node", undefined],
      ["api", "put_node", "ops-bot"],
    ]);
    expect(history[0]!.seq).toBeGreaterThan(history[1]!.seq);
  });

  it("history survives the trim within retention — per commit and by the alarm — and is read from the tables", async () => {
    const clock = new ManualClock("2026-03-01T12:00:00.000Z");
    const day = 24 * 60 * 60 * 1000;
    const workerEnv = await graph({ clock, changeRetention: { maxRecords: 5, maxAgeMs: day } });
    const start = await seqOf(workerEnv);
    for (let i = 1; i <= 8; i++) {
      expect((await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { i } })).status).toBe(200);
    }
    const history = async () =>
      ((await call(workerEnv, "GET", "/api/nodes/AAPL/history")).json as Array<{ seq: number }>).map(
        (h) => h.seq,
      );
    expect(await history()).toEqual(range(start + 4, start + 8).reverse());
    // A new store over the same database (what a restarted object opens) reads the same.
    const reopened = await runInDurableObject(graphObject(workerEnv), async (_object, state) => {
      const store = await SqliteGraphStore.open(state.storage, {
        archive: new R2Storage(env.GRAPH_BUCKET, { prefix: uniquePrefix("feed") }),
      });
      return (await store.changes.nodeHistory("AAPL")).map((h) => h.seq);
    });
    expect(reopened).toEqual(range(start + 4, start + 8).reverse());
    // Two days later nobody has written: the daily alarm applies the age limit.
    clock.advance(2 * day);
    expect(await runDurableObjectAlarm(graphObject(workerEnv))).toBe(true);
    expect(await history()).toEqual([]);
    const gone = await call(workerEnv, "GET", `/api/changes?since=${start + 4}`);
    expect(gone.json).toMatchObject({ error: { code: "gone", details: { oldest: start + 8 } } });
  });
});

/** The client side of a WebSocket in workerd (`accept` is the Workers API, not the DOM's). */
interface ClientSocket {
  accept(): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: () => void): void;
}

/** `GET /api/changes` with `Upgrade: websocket` through the Worker; the messages as they come. */
async function openSocket(workerEnv: WorkerEnv, path: string, token: string | null = TOKEN) {
  const headers: Record<string, string> = { upgrade: "websocket" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await worker.fetch(new Request(`http://worker.test${path}`, { headers }), workerEnv);
  const socket = (response as Response & { webSocket: ClientSocket | null }).webSocket;
  const messages: Array<{ seq?: number; event?: string; source?: string }> = [];
  let closed = false;
  if (socket) {
    socket.accept();
    socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data))));
    socket.addEventListener("close", () => {
      closed = true;
    });
  }
  /** Waits (bounded, so a broken build fails) until `predicate` holds for the messages. */
  const until = async (predicate: () => boolean) => {
    for (let i = 0; !predicate(); i++) {
      expect(i, `${messages.length} messages`).toBeLessThan(400);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { response, socket, messages, until, closed: () => closed };
}

function socketsOf(workerEnv: WorkerEnv): Promise<number> {
  return runInDurableObject(graphObject(workerEnv), (_object, state) => state.getWebSockets!().length);
}

describe("GET /api/changes over a WebSocket (hibernation API) through the Worker", () => {
  it("sends each change record once, in order, from since; a reconnect with since misses nothing", async () => {
    const workerEnv = await graph();
    const start = await seqOf(workerEnv);
    const first = await openSocket(workerEnv, `/api/changes?since=${start}`);
    expect(first.response.status).toBe(101);
    // Accepted with ctx.acceptWebSocket: the object may hibernate while it stays open.
    expect(await socketsOf(workerEnv)).toBe(1);
    for (let i = 1; i <= 20; i++) {
      expect((await call(workerEnv, "PATCH", "/api/nodes/AAPL", { data: { i } })).status).toBe(200);
    }
    await first.until(() => first.messages.length >= 20);
    expect(first.messages.map((m) => m.seq)).toEqual(range(start + 1, start + 20));
    expect(first.messages.every((m) => m.source === "api")).toBe(true);
    first.socket!.close(1000, "bye");
    for (let i = 0; (await socketsOf(workerEnv)) !== 0; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // Written while no one listens; then the backlog first, then live records.
    expect((await burst(workerEnv, 5, 1, "W")).every((s) => s === 201)).toBe(true);
    const second = await openSocket(workerEnv, `/api/changes?since=${start + 20}`);
    expect(
      (await call(workerEnv, "PUT", "/api/graph", (await call(workerEnv, "GET", "/api/graph")).json)).status,
    ).toBe(200);
    await second.until(() => second.messages.length >= 6);
    expect(second.messages.map((m) => m.seq)).toEqual([
      ...range(start + 21, start + 25),
      await seqOf(workerEnv),
    ]);
    expect(second.messages[5]!.source).toBe("import");
    second.socket!.close(1000, "bye");
  });

  it("answers like the JSON page when it cannot follow (410 gone, 401); a socket whose history restarted gets resync and is closed", async () => {
    const workerEnv = await graph({ changeRetention: { maxRecords: 2 } });
    const start = await seqOf(workerEnv);
    expect((await burst(workerEnv, 5, 1, "G")).every((s) => s === 201)).toBe(true);
    const gone = await openSocket(workerEnv, `/api/changes?since=${start}`);
    expect(gone.response.status).toBe(410);
    expect(gone.socket).toBeNull();
    expect(await gone.response.json()).toMatchObject({
      error: { code: "gone", details: { oldest: start + 3 } },
    });
    const anonymous = await openSocket(workerEnv, "/api/changes", null);
    expect(anonymous.response.status).toBe(401);
    expect(await socketsOf(workerEnv)).toBe(0);
    // A commit too large for one row of the changes table restarts history past a follower
    // (only the store itself can make one: the API's body limit is 1 MiB): resync, then closed.
    const follower = await openSocket(workerEnv, "/api/changes");
    const blob = "x".repeat(700_000);
    await runInDurableObject(graphObject(workerEnv), async (object: GraphObject) => {
      const store = await object.store();
      await store.applyBatch(
        ["A", "B", "C"].map((id) => ({ op: "put_node" as const, id, type: "t", data: { blob } })),
      );
    });
    await follower.until(() => follower.closed());
    expect(follower.messages).toEqual([{ event: "resync" }]);
  });
});
