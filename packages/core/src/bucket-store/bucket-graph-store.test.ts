import { beforeEach, describe, expect, it } from "vitest";
import { ConflictError, DawsosError } from "../errors/errors.ts";
import { encodeDocument } from "../format/write-document.ts";
import { encodeJournalRecord } from "../journal/journal-record.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { GraphStore } from "../store/graph-store.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import type { BucketEvent } from "./bucket-events.ts";
import { BucketGraphStore } from "./bucket-graph-store.ts";
import { HEAD_KEY, JOURNAL_PREFIX, SNAPSHOTS_PREFIX } from "./bucket-keys.ts";
import type { BucketGraphStoreOptions } from "./bucket-options.ts";

const SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    CPI: { type: "indicator", data: { value: 3.2 } },
    SHARED: { type: "test", data: {} },
  },
  edges: [{ from: "GDP", to: "CPI", type: "drives", strength: 0.5 }],
  patterns: {},
};

const noWait = async () => {};

describe("BucketGraphStore", () => {
  let storage: MemoryStorage;
  let clock: ManualClock;
  let events: BucketEvent[];
  const open = (extra: BucketGraphStoreOptions = {}, over: MemoryStorage | RecordingStorage = storage) =>
    BucketGraphStore.open(over, {
      seed: SEED,
      clock,
      sleep: noWait,
      onEvent: (e) => events.push(e),
      ...extra,
    });

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new ManualClock("2026-03-04T05:06:07.000Z");
    events = [];
  });

  describe("open", () => {
    it("initialises an empty bucket once: seed, first snapshot, head; a second instance loads it", async () => {
      const first = await open();
      expect(first.graph.nodeCount).toBe(3);
      expect(events.map((e) => e.type)).toContain("seeded");
      const head = JSON.parse(bytesToText((await storage.get(HEAD_KEY))!.body));
      expect(head).toMatchObject({ format: "dawsos-edge-head", version: 1, seq: 0, journal: [] });
      expect((await storage.list(SNAPSHOTS_PREFIX)).map((o) => o.key)).toEqual([head.snapshot.key]);
      expect(JSON.parse(bytesToText((await storage.get("seeded_graph.json"))!.body))).toEqual(SEED);
      const second = await open();
      expect(await bytesOfGraph(second)).toBe(await bytesOfGraph(first));
    });

    it("racing first opens initialise the bucket exactly once", async () => {
      const stores = await Promise.all(Array.from({ length: 6 }, () => open()));
      expect((await storage.list(SNAPSHOTS_PREFIX)).length).toBe(1);
      expect(new Set(stores.map((s) => s.head!.snapshot.key)).size).toBe(1);
      expect(events.filter((e) => e.type === "seeded")).toHaveLength(1);
    });

    it("imports an uploaded filesystem layout (graph.json + journal records that continue it)", async () => {
      const fs = await GraphStore.open(storage, { seed: SEED, clock });
      await fs.putNode("FROM_FS", { type: "t", data: { a: 1 } });
      await fs.patchNode("GDP", { value: 9 });
      const expected = await bytesOfGraph(fs);
      // No close(): the journal still holds the two records.
      const edge = await open();
      expect(await bytesOfGraph(edge)).toBe(expected);
      expect(events).toContainEqual({ type: "imported", seq: 2, records: 2 });
    });
  });

  describe("commits and reads across instances", () => {
    it("a commit by one instance is seen by another after refresh, by replaying only the new records", async () => {
      const a = await open();
      const b = await open();
      await a.putNode("N1", { type: "t", data: { x: 1 } });
      await a.patchNode("N1", { y: 2 });
      expect(b.graph.hasNode("N1")).toBe(false);
      await b.refresh();
      expect(b.graph.getNode("N1")!.data).toEqual({ x: 1, y: 2 });
      expect(b.graph.seq).toBe(2);
      expect(b.counters).toMatchObject({ fullLoads: 1, recordsCaughtUp: 2 });
    });

    it("N refreshes of an unchanged graph cause one full read of the snapshot and one small head read each", async () => {
      await open();
      const recording = new RecordingStorage(storage);
      const reader = await open({}, recording);
      const snapshotKey = reader.head!.snapshot.key;
      for (let i = 0; i < 25; i++) {
        await reader.refresh();
        expect(reader.graph.getNode("GDP")!.data).toEqual({ value: 2.5 });
      }
      const gets = recording.calls.filter((c) => c.op === "get");
      expect(gets.filter((c) => c.key === snapshotKey)).toHaveLength(1);
      expect(gets.filter((c) => c.key === HEAD_KEY)).toHaveLength(26);
      expect(gets).toHaveLength(27);
      expect(reader.counters.fullLoads).toBe(1);
    });

    it("rebases: each writer's change lands on the others' (no lost update), every failure is a 409", async () => {
      await open();
      const writers = await Promise.all(Array.from({ length: 8 }, () => open({ random: seeded(7) })));
      const outcomes = await Promise.allSettled(
        writers.flatMap((w, i) => [
          w.patchNode("SHARED", { [`w${i}`]: true }),
          w.putNode(`NODE_${i}`, { type: "t", data: { i } }),
        ]),
      );
      const fresh = await open();
      for (const [index, outcome] of outcomes.entries()) {
        const i = Math.floor(index / 2);
        if (outcome.status === "rejected") {
          expect(outcome.reason).toBeInstanceOf(ConflictError);
          expect((outcome.reason as ConflictError).code).toBe("conflict");
        } else if (index % 2 === 0) {
          expect(fresh.graph.getNode("SHARED")!.data[`w${i}`]).toBe(true);
        } else {
          expect(fresh.graph.getNode(`NODE_${i}`)!.data).toEqual({ i });
        }
      }
      expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeGreaterThan(0);
      expect((await fresh.verify()).ok).toBe(true);
      expect(events.some((e) => e.type === "conflict_retry")).toBe(true);
    });

    it("a rebased change that no longer applies fails with its own error and writes nothing", async () => {
      const a = await open();
      const b = await open();
      await a.deleteNode("SHARED");
      const keys = (await storage.list(JOURNAL_PREFIX)).map((o) => o.key);
      await expect(b.patchNode("SHARED", { late: true })).rejects.toMatchObject({ code: "not_found" });
      expect((await storage.list(JOURNAL_PREFIX)).map((o) => o.key)).toEqual(keys);
      expect(b.graph.hasNode("SHARED")).toBe(false);
      expect(b.graph.seq).toBe(a.graph.seq);
    });

    it("preconditions run against the fresh graph on every attempt", async () => {
      const a = await open();
      const b = await open();
      await a.patchNode("GDP", { value: 3 });
      const seen: unknown[] = [];
      await b.patchNode(
        "GDP",
        { checked: true },
        { precondition: (graph) => seen.push(graph.getNode("GDP")!.data.value) },
      );
      expect(seen).toEqual([3]);
    });

    it("gives up after maxAttempts with a 409 conflict: nothing applied, nothing left behind", async () => {
      const other = await open();
      let bumps = 0;
      // Another writer commits right before each of our head swaps, so every swap loses.
      const bumping = new HeadBumpingStorage(storage, () => other.patchNode("GDP", { bump: ++bumps }));
      const loser = await open({ backoff: { maxAttempts: 3 } }, bumping);
      const journalBefore = (await storage.list(JOURNAL_PREFIX)).length;
      await expect(loser.putNode("NEVER", { type: "t" })).rejects.toMatchObject({ code: "conflict" });
      expect(events).toContainEqual({ type: "conflict_gave_up", attempts: 3 });
      expect(bumps).toBe(3);
      await other.refresh();
      expect(other.graph.hasNode("NEVER")).toBe(false);
      expect(loser.graph.hasNode("NEVER")).toBe(false);
      await loser.refresh();
      expect(loser.graph.seq).toBe(other.graph.seq);
      expect(loser.graph.getNode("GDP")!.data.bump).toBe(3);
      // Only the other writer's three commits were added: our journal objects were removed.
      expect((await storage.list(JOURNAL_PREFIX)).length).toBe(journalBefore + 3);
    });

    it("applies a batch as one journal object, all or nothing", async () => {
      const store = await open();
      const result = await store.applyBatch([
        { op: "put_node", id: "B1", type: "t" },
        { op: "add_edge", from: "B1", to: "GDP", type: "x" },
      ]);
      expect(result).toEqual({ applied: 2, seq: 2 });
      expect((await storage.list(JOURNAL_PREFIX)).length).toBe(1);
      await expect(
        store.applyBatch([
          { op: "put_node", id: "B2", type: "t" },
          { op: "add_edge", from: "B2", to: "MISSING", type: "x" },
        ]),
      ).rejects.toMatchObject({ code: "validation_error", details: { index: 1 } });
      expect(store.graph.hasNode("B2")).toBe(false);
      expect((await storage.list(JOURNAL_PREFIX)).length).toBe(1);
    });
  });

  describe("compaction", () => {
    it("folds the journal into a new snapshot, removes what no head can name, and others still catch up", async () => {
      const writer = await open({ compactAfterRecords: 5 });
      const reader = await open();
      for (let i = 0; i < 4; i++) await writer.putNode(`C${i}`, { type: "t" });
      await reader.refresh();
      for (let i = 4; i < 7; i++) await writer.putNode(`C${i}`, { type: "t" });
      expect(events.some((e) => e.type === "compacted")).toBe(true);
      expect(writer.head!.snapshot.seq).toBe(5);
      expect(writer.head!.journal.length).toBe(2);
      expect((await storage.list(SNAPSHOTS_PREFIX)).length).toBe(1);
      expect((await storage.list(JOURNAL_PREFIX)).length).toBe(2);
      // The reader was at seq 4, before the new snapshot: it reloads.
      await reader.refresh();
      expect(await bytesOfGraph(reader)).toBe(await bytesOfGraph(writer));
      expect(reader.counters.fullLoads).toBe(2);
      expect((await writer.verify()).ok).toBe(true);
    });
  });

  describe("replace, versions, backups", () => {
    it("replaceGraph backs up first and moves seq past the current one; other instances reload", async () => {
      const a = await open();
      const b = await open();
      await a.putNode("OLD", { type: "t" });
      const stats = await a.replaceGraph({ nodes: { ONLY: { type: "t" } }, edges: [], patterns: {} });
      expect(stats.total_nodes).toBe(1);
      expect(a.graph.seq).toBe(2);
      const backups = await a.listBackups();
      expect(backups).toHaveLength(1);
      expect(backups[0]!.seq).toBe(1);
      await b.refresh();
      expect([...b.graph.nodes()].map((n) => n.id)).toEqual(["ONLY"]);
      await b.restoreBackup(backups[0]!.id);
      await a.refresh();
      expect(a.graph.hasNode("OLD")).toBe(true);
      expect(a.graph.seq).toBe(3);
      expect((await a.verify()).ok).toBe(true);
    });

    it("saves versions under distinct ids even when isolates save in the same second", async () => {
      const stores = await Promise.all(Array.from({ length: 4 }, () => open()));
      const saved = await Promise.all(stores.map((s) => s.saveVersion()));
      expect(new Set(saved.map((v) => v.id)).size).toBe(4);
      const listed = await stores[0]!.listVersions();
      expect(listed.map((v) => v.id).sort()).toEqual(saved.map((v) => v.id).sort());
      for (const v of listed) expect(v.checksum).toBe(saved.find((s) => s.id === v.id)!.checksum);
      await stores[0]!.putNode("AFTER", { type: "t" });
      await stores[1]!.restoreVersion(saved[0]!.id);
      await stores[0]!.refresh();
      expect(stores[0]!.graph.hasNode("AFTER")).toBe(false);
      expect((await stores[0]!.verify()).ok).toBe(true);
    });

    it("recovers from a damaged snapshot: newest valid version + the records that continue it, reported everywhere", async () => {
      const writer = await open();
      await writer.putNode("BEFORE", { type: "t" });
      const version = await writer.saveVersion();
      await writer.compact();
      await writer.putNode("AFTER", { type: "t" });
      const damagedKey = writer.head!.snapshot.key;
      const bytes = (await storage.get(damagedKey))!.body.slice();
      bytes[40] = bytes[40]! ^ 0x04;
      await storage.put(damagedKey, bytes);
      const seqBefore = writer.graph.seq;

      const fresh = await open();
      expect(fresh.graph.hasNode("BEFORE")).toBe(true);
      // The snapshot was taken at the version's seq, so the journal record after it still applies.
      expect(fresh.graph.hasNode("AFTER")).toBe(true);
      expect(fresh.graph.seq).toBeGreaterThan(seqBefore);
      expect(fresh.recovery).toMatchObject({
        file: damagedKey,
        error: { code: "checksum_mismatch" },
        recoveredFrom: `graph_${version.id}.json + 1 journal record(s)`,
      });
      expect(bytesToText((await storage.get(fresh.recovery!.preservedAs!))!.body)).toBe(bytesToText(bytes));
      expect(events.some((e) => e.type === "recovered")).toBe(true);
      // Other instances see the recovered graph and the report; verify is clean and carries it.
      await writer.refresh();
      expect(writer.recovery).toEqual(fresh.recovery);
      const report = await writer.verify();
      expect(report.ok).toBe(true);
      expect(report.recovery).toEqual(fresh.recovery);
    });

    it("refuses to serve a damaged graph with nothing valid to recover from, naming the object", async () => {
      const writer = await open();
      const key = writer.head!.snapshot.key;
      await storage.put(key, "{not json");
      await expect(open()).rejects.toMatchObject({ file: key });
      await expect(writer.putNode("X", { type: "t" })).resolves.toBeDefined(); // its head is intact
    });

    it("verify reports a damaged journal object", async () => {
      const store = await open();
      await store.putNode("V", { type: "t" });
      const entry = store.head!.journal[0]!;
      const damaged = encodeJournalRecord(1, [{ op: "delete_node", at: "x", id: "GDP" }]).replace(
        '"seq":1',
        '"seq":1 ',
      );
      await storage.put(entry.key, damaged);
      const report = await store.verify();
      expect(report.ok).toBe(false);
      expect(report.files.find((f) => f.key === entry.key)).toMatchObject({ ok: false });
      // A fresh instance refuses to serve it.
      await expect(open()).rejects.toBeInstanceOf(DawsosError);
    });
  });
});

/** Bumps the head (through another writer) right before each of our head swaps. */
class HeadBumpingStorage extends RecordingStorage {
  constructor(
    inner: MemoryStorage,
    readonly bump: () => Promise<unknown>,
  ) {
    super(inner);
  }
  override async put(
    key: string,
    body: Uint8Array | string,
    options?: Parameters<MemoryStorage["put"]>[2],
  ): Promise<{ etag: string }> {
    if (key === HEAD_KEY && options?.ifMatch !== undefined) await this.bump();
    return super.put(key, body, options);
  }
}

async function bytesOfGraph(store: { graph: Parameters<typeof encodeDocument>[0] }): Promise<string> {
  return bytesToText((await encodeDocument(store.graph)).bytes);
}

/** Deterministic randomness (so a failure reproduces). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
