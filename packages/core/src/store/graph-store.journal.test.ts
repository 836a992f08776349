import { beforeEach, describe, expect, it } from "vitest";
import { StorageError } from "../errors/errors.ts";
import { encodeDocument } from "../format/write-document.ts";
import { scanJournal } from "../journal/read-journal.ts";
import { type AppendLog, bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { GraphStore, type StoreEvent } from "./graph-store.ts";

const SEED = {
  version: 2,
  nodes: { A: { type: "t", data: { v: 1 } }, B: { type: "t" } },
  edges: [{ from: "A", to: "B", type: "r", strength: 0.5 }],
  patterns: {},
};

/** MemoryStorage whose append log counts appends and can be made to fail. */
class InstrumentedStorage extends MemoryStorage {
  appends = 0;
  failAppend: Error | null = null;
  failTruncate: Error | null = null;
  gate: Promise<void> | null = null;

  override async openAppendLog(key: string): Promise<AppendLog> {
    const inner = await super.openAppendLog(key);
    return {
      get size() {
        return inner.size;
      },
      append: async (bytes, options) => {
        this.appends++;
        if (this.gate) await this.gate;
        if (this.failAppend) {
          // A failed write may still leave bytes behind: the writer must cut them off.
          await inner.append(bytes.subarray(0, Math.ceil(bytes.length / 2)));
          throw this.failAppend;
        }
        await inner.append(bytes, options);
      },
      sync: () => inner.sync(),
      truncate: async (size) => {
        if (this.failTruncate) throw this.failTruncate;
        await inner.truncate(size);
      },
      close: () => inner.close(),
    };
  }
}

const text = async (storage: MemoryStorage, key: string) => {
  const stored = await storage.get(key);
  return stored ? bytesToText(stored.body) : null;
};

describe("GraphStore journal", () => {
  let storage: InstrumentedStorage;
  let clock: ManualClock;
  let events: StoreEvent[];
  const open = (extra: Parameters<typeof GraphStore.open>[1] = {}) =>
    GraphStore.open(storage, { seed: SEED, clock, onEvent: (e) => events.push(e), ...extra });
  const bytesOf = async (store: GraphStore) => bytesToText((await encodeDocument(store.graph)).bytes);

  beforeEach(() => {
    storage = new InstrumentedStorage();
    clock = new ManualClock();
    events = [];
  });

  it("journals each mutation instead of rewriting graph.json, and replays it on open", async () => {
    const store = await open();
    const snapshot = await text(storage, "graph.json");
    await store.putNode("C", { type: "t" });
    await store.patchNode("A", { v: 2 });
    await store.applyBatch([
      { op: "add_edge", from: "C", to: "A", type: "r" },
      { op: "delete_edge", id: "e_A_B_r" },
    ]);
    expect(await text(storage, "graph.json")).toBe(snapshot);
    const scan = scanJournal((await storage.get("graph.journal"))!.body);
    expect(scan.records.map((r) => [r.seq, r.count])).toEqual([
      [1, 1],
      [2, 1],
      [4, 2],
    ]);
    const reopened = await open();
    expect(await bytesOf(reopened)).toBe(await bytesOf(store));
    expect(events.find((e) => e.type === "journal_replayed")).toMatchObject({ records: 3, seq: 4 });
  });

  it("group-commits concurrent mutations: many changes, few appends, each caller durable", async () => {
    const store = await open();
    storage.appends = 0;
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.putNode(`N${i}`, { type: "t" })));
    expect(storage.appends).toBeLessThan(20);
    expect(scanJournal((await storage.get("graph.journal"))!.body).records).toHaveLength(200);
    expect((await open()).graph.nodeCount).toBe(202);
  });

  it("rolls back every change that is not durable when a write fails, cuts the log back, then recovers", async () => {
    const store = await open();
    await store.putNode("DURABLE", { type: "t" });
    const before = await bytesOf(store);
    const journalBefore = await text(storage, "graph.journal");
    storage.failAppend = new StorageError("EIO: injected");
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.putNode(`LOST${i}`, { type: "t" })),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(await bytesOf(store)).toBe(before);
    expect(await text(storage, "graph.journal")).toBe(journalBefore);
    storage.failAppend = null;
    await store.putNode("AFTER", { type: "t" });
    const reopened = await open();
    expect(reopened.graph.hasNode("AFTER")).toBe(true);
    expect(reopened.graph.hasNode("LOST0")).toBe(false);
    expect(reopened.graph.seq).toBe(store.graph.seq);
  });

  it("refuses to write while the log cannot be cut back, and resumes once it can", async () => {
    const store = await open();
    storage.failAppend = new StorageError("ENOSPC: injected");
    storage.failTruncate = new StorageError("EIO: injected");
    await expect(store.putNode("X", { type: "t" })).rejects.toBeInstanceOf(StorageError);
    storage.failAppend = null;
    await expect(store.putNode("Y", { type: "t" })).rejects.toBeInstanceOf(StorageError);
    storage.failTruncate = null;
    await store.putNode("Z", { type: "t" });
    const reopened = await open();
    expect([reopened.graph.hasNode("X"), reopened.graph.hasNode("Y"), reopened.graph.hasNode("Z")]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("drops a torn tail on open, reports it, and appends cleanly after it", async () => {
    const store = await open();
    await store.putNode("C", { type: "t" });
    await store.putNode("D", { type: "t" });
    const body = (await storage.get("graph.journal"))!.body;
    const torn = new Uint8Array(body.length - 7 + 100);
    torn.set(body.subarray(0, body.length - 7));
    await storage.put("graph.journal", torn);
    const reopened = await open();
    expect(reopened.graph.hasNode("C")).toBe(true);
    expect(reopened.graph.hasNode("D")).toBe(false);
    const firstRecordEnd = body.indexOf(0x0a) + 1;
    expect(events.find((e) => e.type === "journal_tail_dropped")).toMatchObject({
      offset: firstRecordEnd,
      bytes: torn.length - firstRecordEnd,
    });
    await reopened.putNode("E", { type: "t" });
    const again = await open();
    expect(again.graph.hasNode("E")).toBe(true);
    expect(again.recovery).toBeNull();
  });

  it("treats a damaged middle record as an integrity error: recovers what applies, keeps the journal, reports the loss", async () => {
    const store = await open();
    for (const id of ["C", "D", "E"]) await store.putNode(id, { type: "t" });
    const body = (await storage.get("graph.journal"))!.body;
    const firstEnd = body.indexOf(0x0a);
    const damaged = body.slice();
    damaged[firstEnd + 20] = damaged[firstEnd + 20]! ^ 0x02;
    await storage.put("graph.journal", damaged);
    const reopened = await open();
    expect(reopened.recovery).toMatchObject({ file: "graph.journal", error: { code: "checksum_mismatch" } });
    // D (damaged) and E (after it) cannot be applied.
    expect(reopened.recovery!.lost).toMatch(/^2 journal record/);
    expect(reopened.graph.hasNode("C")).toBe(true);
    expect(reopened.graph.hasNode("D")).toBe(false);
    const kept = await storage.get(reopened.recovery!.preservedAs!);
    expect(Array.from(kept!.body)).toEqual(Array.from(damaged));
    // The store is consistent again: graph.json holds the recovered graph, the journal is clean.
    const again = await open();
    expect(again.recovery).toBeNull();
    expect(await bytesOf(again)).toBe(await bytesOf(reopened));
  });

  it("compacts: folds the journal into graph.json and empties it; a crash between the steps replays nothing twice", async () => {
    const store = await open();
    for (let i = 0; i < 10; i++) await store.putNode(`N${i}`, { type: "t", data: { i } });
    const oldJournal = (await storage.get("graph.journal"))!.body;
    const { seq } = await store.compact();
    expect(seq).toBe(10);
    expect(await text(storage, "graph.journal")).toBe("");
    expect(JSON.parse((await text(storage, "graph.json"))!).seq).toBe(10);
    const state = await bytesOf(store);
    // Simulate a crash after the snapshot was written but before the journal was reset.
    await storage.put("graph.journal", oldJournal);
    const reopened = await open();
    expect(await bytesOf(reopened)).toBe(state);
    expect(events.some((e) => e.type === "journal_replayed")).toBe(false);
  });

  it("compacts automatically past the threshold while writers keep going, losing nothing", async () => {
    const store = await open({ compactAfterRecords: 25 });
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 40; i++) await store.putNode(`W${w}_${i}`, { type: "w", data: { i } });
      })(),
    );
    await Promise.all(writers);
    await store.close();
    expect(events.filter((e) => e.type === "compacted").length).toBeGreaterThan(2);
    const reopened = await open();
    expect(reopened.graph.nodesByType("w")).toHaveLength(320);
    expect(await bytesOf(reopened)).toBe(await bytesOf(store));
    expect(await text(storage, "graph.journal")).toBe("");
  });

  it("lets writers proceed while the snapshot is being written", async () => {
    const store = await open();
    for (let i = 0; i < 50; i++) await store.putNode(`P${i}`, { type: "t" });
    // Hold the snapshot write open: writers must still be acknowledged meanwhile.
    let releaseSnapshot!: () => void;
    const snapshotGate = new Promise<void>((r) => {
      releaseSnapshot = r;
    });
    const originalPutStream = storage.putStream.bind(storage);
    storage.putStream = async (key, body) => {
      if (key === "graph.json") await snapshotGate;
      return originalPutStream(key, body);
    };
    const compaction = store.compact();
    await new Promise((r) => setTimeout(r, 5));
    await store.putNode("DURING", { type: "t" });
    releaseSnapshot();
    const { seq } = await compaction;
    expect(seq).toBe(50);
    const records = scanJournal((await storage.get("graph.journal"))!.body).records;
    expect(records.map((r) => r.seq)).toEqual([51]);
    const reopened = await open();
    expect(reopened.graph.hasNode("DURING")).toBe(true);
  });

  it("acknowledges before fsync in batched mode and syncs within the bound", async () => {
    const store = await open({ durability: "batched", batchDelayMs: 5 });
    await store.putNode("B1", { type: "t" });
    await new Promise((r) => setTimeout(r, 20));
    expect((await open()).graph.hasNode("B1")).toBe(true);
  });

  it("close folds the journal and refuses further writes", async () => {
    const store = await open();
    await store.putNode("C", { type: "t" });
    await store.close();
    expect(await text(storage, "graph.journal")).toBe("");
    await expect(store.putNode("D", { type: "t" })).rejects.toMatchObject({ code: "storage_error" });
    await store.close();
  });
});
