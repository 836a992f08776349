/**
 * Issue 14, the change feed of the SQLite store (the Worker's `GraphObject`), on a real SQLite
 * engine (better-sqlite3, shaped like `ctx.storage`): records written in the commit's own
 * transaction, retention, history, imports and restores, subscriptions, an object made before
 * the feed existed — and the same feed as the Node store for the same writes.
 */
import type { ChangeRecord, DawsosError, GraphStoreOptions } from "@dawsos/core";
import { GraphStore, ManualClock, MemoryStorage } from "@dawsos/core";
import { SqliteGraphStore, type SqliteGraphStoreOptions } from "@dawsos/core/sqlite-store";
import { CONTRACT_SEED } from "@dawsos/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

const NOW = "2026-03-01T12:00:00.000Z";
const DAY = 24 * 60 * 60 * 1000;
const dbs: BetterSqliteDatabase[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

async function open(options: Partial<SqliteGraphStoreOptions> = {}, db = new BetterSqliteDatabase()) {
  dbs.push(db);
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock(NOW);
  const store = await SqliteGraphStore.open(db, {
    seed: CONTRACT_SEED,
    archive: new MemoryStorage(),
    ...options,
    clock,
  });
  return { db, store, clock };
}

const seqs = (records: readonly { seq: number }[]) => records.map((r) => r.seq);
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: DawsosError) => err.code,
  );

describe("SqliteGraphStore's change feed (the changes table)", () => {
  it("records every commit with seq, at, source and actor; pages follow next_since; history is newest first", async () => {
    const { store } = await open();
    expect(await store.seq()).toBe(0);
    await store.patchNode("AAPL", { price: 1 }, { actor: "ops-bot" });
    await store.applyBatch(
      [
        { op: "put_node", id: "MSFT", type: "stock", data: {} },
        { op: "add_edge", from: "ECONOMIC_REGIME", to: "MSFT", type: "favors" },
        { op: "patch_node", id: "AAPL", data: { price: 2 } },
      ],
      { source: "workflow:regime_check" },
    );
    await store.deleteEdge((await store.listEdges({ from: "GDP" })).items[0]!.id, { source: "cli" });
    const page = await store.changes.changesSince(0);
    expect(page.items.map((i) => [i.seq, i.source, i.actor])).toEqual([
      [1, "api", "ops-bot"],
      [4, "workflow:regime_check", undefined],
      [5, "cli", undefined],
    ]);
    expect(page.items[0]).toEqual({
      seq: 1,
      at: NOW,
      source: "api",
      actor: "ops-bot",
      changes: [{ op: "patch_node", at: NOW, id: "AAPL", data: { price: 1 } }],
    });
    expect(page.next_since).toBe(5);
    expect((await store.changes.changesSince(1, 1)).items.map((i) => i.seq)).toEqual([4]);
    expect(await store.changes.changesSince(5)).toEqual({ items: [], next_since: 5 });
    // A batch's changes each have their own seq in a node's history.
    const aapl = await store.changes.nodeHistory("AAPL");
    expect(aapl.map((h) => [h.seq, h.op, h.source])).toEqual([
      [4, "patch_node", "workflow:regime_check"],
      [1, "patch_node", "api"],
    ]);
    expect((await store.changes.nodeHistory("MSFT")).map((h) => [h.seq, h.op])).toEqual([
      [3, "add_edge"],
      [2, "put_node"],
    ]);
    expect(await store.changes.nodeHistory("AAPL", 1)).toHaveLength(1);
    expect(await store.changes.nodeHistory("NOPE")).toEqual([]);
  });

  it("a write that fails — refused, or failing inside its transaction after its record — leaves no record", async () => {
    const { db, store } = await open();
    await store.patchNode("AAPL", { price: 1 });
    const refused = store.applyBatch([
      { op: "put_node", id: "X", type: "t", data: {} },
      { op: "add_edge", from: "X", to: "MISSING", type: "t" },
    ]);
    expect(await codeOf(refused)).toBe("validation_error");
    // The last statement of a commit is its feed upkeep: failing there rolls back all of it.
    db.failOn = (query) => query.startsWith("INSERT INTO change_nodes");
    await expect(store.patchNode("AAPL", { price: 99 })).rejects.toThrow(/injected/);
    db.failOn = null;
    expect((await store.getNode("AAPL"))?.data.price).toBe(1);
    expect(await store.seq()).toBe(1);
    expect(seqs((await store.changes.changesSince(0)).items)).toEqual([1]);
    await store.patchNode("AAPL", { price: 2 });
    expect(seqs((await store.changes.changesSince(0)).items)).toEqual([1, 2]);
  });

  it("keeps maxRecords records and none older than maxAgeMs; since below that is 410 gone with the oldest", async () => {
    const clock = new ManualClock(NOW);
    const { store } = await open({ clock, changeRetention: { maxRecords: 3, maxAgeMs: DAY } });
    for (let i = 1; i <= 5; i++) await store.patchNode("AAPL", { i });
    expect(seqs((await store.changes.changesSince(2)).items)).toEqual([3, 4, 5]);
    expect(store.changes.floor()).toBe(2);
    await expect(store.changes.changesSince(1)).rejects.toMatchObject({
      code: "gone",
      details: { oldest: 2 },
    });
    expect(() => store.changes.subscribe(1)).toThrow(expect.objectContaining({ code: "gone" }));
    // Without since: from the oldest retained.
    expect(seqs((await store.changes.changesSince()).items)).toEqual([3, 4, 5]);
    // Two days on, the next commit drops what is older than a day.
    clock.advance(2 * DAY);
    await store.patchNode("AAPL", { i: 6 });
    expect(seqs((await store.changes.changesSince(5)).items)).toEqual([6]);
    expect(store.changes.floor()).toBe(5);
    // Age alone: the alarm's full trim empties it; the feed then starts at the graph's seq.
    clock.advance(2 * DAY);
    expect(store.applyChangeRetention()).toBe(1);
    expect(store.changes.floor()).toBe(6);
    expect(await store.changes.changesSince(6)).toEqual({ items: [], next_since: 6 });
  });

  it("trims at most a few records per commit after retention shrinks; the full trim does the rest", async () => {
    const db = new BetterSqliteDatabase();
    const first = await open({}, db);
    for (let i = 1; i <= 30; i++) await first.store.patchNode("AAPL", { i });
    const { store } = await open({ changeRetention: { maxRecords: 5 } }, db);
    await store.patchNode("AAPL", { i: 31 });
    // One commit dropped 8 (TRIM_PER_COMMIT): 31 - 8 = 23 left.
    expect((await store.changes.changesSince(undefined, 1000)).items).toHaveLength(23);
    expect(store.applyChangeRetention()).toBe(18);
    expect(seqs((await store.changes.changesSince()).items)).toEqual([27, 28, 29, 30, 31]);
    expect(seqs(await store.changes.nodeHistory("AAPL"))).toEqual([31, 30, 29, 28, 27]);
  });

  it("an import and a restore are one record each with replaced counts; the seed is none", async () => {
    const { store } = await open();
    await store.patchNode("AAPL", { price: 1 });
    const version = await store.saveVersion();
    await store.replaceGraph(
      { nodes: { A: { type: "t", data: {} } }, edges: [] },
      {
        actor: "ops-bot",
      },
    );
    await store.restoreVersion(version.id, { actor: "ops-bot" });
    const backup = await store.backup();
    await store.restoreBackup(backup.id);
    const items = (await store.changes.changesSince(0)).items;
    expect(items.map((i) => [i.source, i.actor, i.changes.length])).toEqual([
      ["api", undefined, 1],
      ["import", "ops-bot", 0],
      ["restore", "ops-bot", 0],
      ["restore", undefined, 0],
    ]);
    expect(items[1]!.replaced).toEqual({ nodes: 1, edges: 0, patterns: 0 });
    expect(items[2]!.replaced).toEqual({ nodes: 4, edges: 3, patterns: 1 });
    // Contiguous: each record starts where the one before ended.
    const page = await store.changes.changesSince(items[1]!.seq);
    expect(seqs(page.items)).toEqual([items[2]!.seq, items[3]!.seq]);
    expect(items[3]!.seq).toBe(await store.seq());
    // A chunked import names its own source.
    const chunked = store.beginImport();
    chunked.addChunk({ nodes: [{ id: "B", type: "t", data: {}, created_at: NOW, updated_at: NOW }] });
    await store.commitImport(chunked, undefined, { source: "cli" });
    expect((await store.changes.changesSince(items[3]!.seq)).items.map((i) => i.source)).toEqual(["cli"]);
  });

  it("an object made before the feed existed gets the tables on open; its feed starts at its seq", async () => {
    const db = new BetterSqliteDatabase();
    const { store } = await open({}, db);
    for (let i = 1; i <= 3; i++) await store.patchNode("AAPL", { i });
    // What an object of schema 1 looks like: no feed tables.
    db.db.exec(
      "DROP TABLE changes; DROP TABLE change_nodes; UPDATE graph_state SET value = '1' WHERE key = 'schema'",
    );
    const reopened = (await open({}, db)).store;
    expect(db.db.prepare("SELECT value FROM graph_state WHERE key = 'schema'").get()).toEqual({ value: "2" });
    expect(reopened.changes.floor()).toBe(3);
    expect(await codeOf(reopened.changes.changesSince(0))).toBe("gone");
    await reopened.patchNode("AAPL", { i: 4 });
    expect(seqs((await reopened.changes.changesSince(3)).items)).toEqual([4]);
  });

  it("a commit too large for one row is not stored: history restarts after it (410 for older since)", async () => {
    const { store } = await open();
    await store.patchNode("AAPL", { i: 1 });
    const blob = "x".repeat(700_000);
    await store.applyBatch(
      ["A", "B", "C"].map((id) => ({ op: "put_node" as const, id, type: "t", data: { blob } })),
    );
    expect(await store.seq()).toBe(4);
    expect(store.changes.floor()).toBe(4);
    expect(await codeOf(store.changes.changesSince(1))).toBe("gone");
    await store.patchNode("AAPL", { i: 2 });
    expect(seqs((await store.changes.changesSince(4)).items)).toEqual([5]);
  });

  it("subscribers: backlog then live records once each; one lagging past maxLag or past a trim gets resync", async () => {
    const { store } = await open({ changeRetention: { maxRecords: 4 } });
    await store.patchNode("AAPL", { i: 1 });
    const all = store.changes.subscribe(0, { maxLag: 100 });
    let overflows = 0;
    const idle = store.changes.subscribe(undefined, { maxLag: 3, onOverflow: () => overflows++ });
    const woken = all.wait();
    await store.patchNode("AAPL", { i: 2 });
    await woken;
    expect(seqs(all.take(10) as ChangeRecord[])).toEqual([1, 2]);
    expect(all.take(10)).toEqual([]);
    for (let i = 3; i <= 4; i++) await store.patchNode("AAPL", { i });
    expect(overflows).toBe(0); // 3 behind (2, 3, 4): at its limit
    await store.patchNode("AAPL", { i: 5 });
    expect(overflows).toBe(1);
    expect(idle.take(10)).toBe("resync");
    expect(idle.closed).toBe(true);
    expect(seqs(all.take(2) as ChangeRecord[])).toEqual([3, 4]);
    expect(store.changes.subscribers).toBe(1);
    // Retention 4 and 4 more commits: record 5 is trimmed before `all` took it.
    for (let i = 6; i <= 9; i++) await store.patchNode("AAPL", { i });
    expect(all.take(10)).toBe("resync");
    expect(store.changes.subscribers).toBe(0);
    // An import wakes subscribers too, and a chunk from before it is still contiguous.
    const live = store.changes.subscribe();
    await store.replaceGraph(CONTRACT_SEED);
    expect((live.take(10) as ChangeRecord[]).map((r) => r.source)).toEqual(["import"]);
    store.changes.closeSubscriptions();
    expect(live.closed).toBe(true);
  });
});

describe("the same feed as the Node store", () => {
  it("the same writes give the same records (seq, from, at, source, actor, changes, replaced) and histories", async () => {
    const clock = new ManualClock(NOW);
    const nodeOptions: GraphStoreOptions = { seed: CONTRACT_SEED, clock };
    const node = await GraphStore.open(new MemoryStorage(), nodeOptions);
    const { store: sql } = await open({ clock });
    for (const store of [node, sql] as const) {
      await store.putNode("MSFT", { type: "stock", data: { price: 1 } }, { actor: "a" });
      clock.advance(1000);
      await store.applyBatch(
        [
          { op: "patch_node", id: "MSFT", data: { price: 2 } },
          { op: "add_edge", from: "MSFT", to: "AAPL", type: "peer", id: "e1" },
          { op: "put_pattern", id: "p", pattern: { type: "X", trigger_conditions: [] } },
        ],
        { source: "workflow:regime_check" },
      );
      await store.deleteNode("CPI", { source: "cli" });
      await store.replaceGraph(CONTRACT_SEED, { actor: "b" });
      clock.set(NOW);
    }
    const a = await node.changes.changesSince(0);
    const b = await sql.changes.changesSince(0);
    expect(b).toEqual(a);
    for (const id of ["MSFT", "AAPL", "CPI"]) {
      expect(await sql.changes.nodeHistory(id)).toEqual(await node.changes.nodeHistory(id));
    }
    await node.close();
  });
});
