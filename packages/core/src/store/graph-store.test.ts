import { beforeEach, describe, expect, it } from "vitest";
import { DawsosError } from "../errors/errors.ts";
import { encodeDocument } from "../format/write-document.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { GraphStore, type StoreEvent } from "./graph-store.ts";
import { loadGraphBytes } from "./load-graph.ts";

const SMALL_SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    CPI: { type: "indicator", data: { value: 3.2 } },
    ECONOMIC_REGIME: { type: "regime", data: { current_state: "GOLDILOCKS" } },
    AAPL: { type: "stock", data: { symbol: "AAPL" } },
  },
  edges: [
    { from: "GDP", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.9 },
    { from: "CPI", to: "ECONOMIC_REGIME", type: "indicates_inflation", strength: 0.8 },
    { from: "ECONOMIC_REGIME", to: "AAPL", type: "favors", strength: 0.6 },
  ],
  patterns: {
    overheating: { type: "REGIME_SHIFT", trigger_conditions: ["CPI > 4%", "GDP > 3%"], confidence: 0.75 },
  },
};

async function bytesOf(store: GraphStore): Promise<string> {
  return bytesToText((await encodeDocument(store.graph)).bytes);
}

function flipByte(body: Uint8Array, at: number): Uint8Array {
  const copy = body.slice();
  copy[at] = copy[at]! ^ 0x04;
  return copy;
}

describe("GraphStore", () => {
  let storage: MemoryStorage;
  let clock: ManualClock;
  let events: StoreEvent[];
  const open = (extra: Partial<Parameters<typeof GraphStore.open>[1]> = {}) =>
    GraphStore.open(storage, { seed: SMALL_SEED, clock, onEvent: (e) => events.push(e), ...extra });

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new ManualClock("2026-03-04T05:06:07.000Z");
    events = [];
  });

  describe("open", () => {
    it("initialises an empty storage from the seed and writes seeded_graph.json and graph.json", async () => {
      const store = await open();
      expect(store.graph.nodeCount).toBe(4);
      expect(store.graph.edgeCount).toBe(3);
      expect(store.graph.getEdge("e_GDP_ECONOMIC_REGIME_indicates_growth")?.strength).toBe(0.9);
      expect(events.find((e) => e.type === "seeded")).toMatchObject({ nodes: 4, edges: 3 });
      // The seed as loaded, in our checksummed layout at seq 0.
      const seeded = loadGraphBytes((await storage.get("seeded_graph.json"))!.body, "seeded_graph.json", {
        now: "later",
      });
      expect(seeded.format).toBe("dawsos");
      expect(seeded.graph.seq).toBe(0);
      expect(seeded.graph.stats()).toEqual(store.graph.stats());
      const reopened = await open();
      expect(await bytesOf(reopened)).toBe(await bytesOf(store));
    });

    it("ships the investment-framework seed by default", async () => {
      const store = await GraphStore.open(storage, { clock });
      expect(store.graph.getNode("ECONOMIC_REGIME")?.type).toBe("regime");
      expect(store.graph.getNode("FED_RATE")?.data.series_id).toBe("FEDFUNDS");
      expect(store.graph.nodesByType("stock").length).toBeGreaterThan(10);
      expect(store.graph.evaluatePatterns().some((p) => p.triggered)).toBe(true);
    });

    it("loads a graph.json written by the original Python DawsOS, keeping the original in a backup", async () => {
      const python = {
        version: 1,
        nodes: {
          GDP: {
            id: "GDP",
            type: "indicator",
            data: { value: 2 },
            created: "2025-10-01T15:43:49.712567",
            modified: "2025-10-01T15:43:49.712572",
            connections_in: [],
            connections_out: ["edge_1"],
            metadata: { access_count: 0 },
          },
          SPY: {
            id: "SPY",
            type: "index",
            data: {},
            created: "c",
            modified: "m",
            connections_in: ["edge_1"],
            connections_out: [],
          },
        },
        edges: [
          {
            id: "edge_1",
            from: "GDP",
            to: "SPY",
            type: "drives",
            strength: 0.5,
            metadata: {},
            created: "c",
            activations: 0,
          },
        ],
        patterns: {},
        forecasts: {},
        metadata: { last_saved: "x", stats: { total_nodes: 2 } },
      };
      const original = `${JSON.stringify(python, null, 2)}\n`;
      await storage.put("graph.json", original);
      const store = await open();
      expect(store.graph.nodeCount).toBe(2);
      expect(store.graph.getNode("GDP")).toMatchObject({
        created_at: "2025-10-01T15:43:49.712567",
        updated_at: "2025-10-01T15:43:49.712572",
        metadata: { access_count: 0 },
      });
      expect(store.graph.getNode("GDP")).not.toHaveProperty("connections_out");
      expect(store.graph.extras.forecasts).toEqual({});
      const migrated = events.find((e) => e.type === "migrated");
      expect(migrated).toMatchObject({ from: "python" });
      const backupId = (migrated as { backup: string }).backup;
      expect(bytesToText((await storage.get(`backups/${backupId}/graph.json`))!.body)).toBe(original);
      // graph.json is now in our checksummed format.
      const doc = JSON.parse(bytesToText((await storage.get("graph.json"))!.body));
      expect(doc).toMatchObject({ version: 2, checksum: store.checksum });
    });
  });

  describe("mutations", () => {
    it("persists every acknowledged mutation", async () => {
      const store = await open();
      const { created } = await store.putNode("MSFT", {
        type: "stock",
        data: { symbol: "MSFT", price: 410 },
      });
      expect(created).toBe(true);
      clock.advance(1000);
      await store.patchNode("MSFT", { price: 420, pe: 35 });
      await store.addEdge({ from: "ECONOMIC_REGIME", to: "MSFT", type: "favors", strength: 0.7 });
      await store.deleteNode("AAPL");
      await store.putPattern("p2", { type: "VALUATION", trigger_conditions: ["MSFT.pe > 30"] });
      const reopened = await open();
      expect(reopened.graph.getNode("MSFT")?.data).toEqual({ symbol: "MSFT", price: 420, pe: 35 });
      expect(reopened.graph.getNode("AAPL")).toBeUndefined();
      expect(reopened.graph.edgeCount).toBe(3);
      expect(reopened.graph.seq).toBe(store.graph.seq);
      expect(await bytesOf(reopened)).toBe(await bytesOf(store));
    });

    it("keeps created_at and unknown fields when a node is replaced", async () => {
      const store = await open();
      const before = store.graph.getNode("GDP")!;
      clock.advance(60_000);
      const { node, created } = await store.putNode("GDP", { type: "indicator", data: { value: 3 } });
      expect(created).toBe(false);
      expect(node.created_at).toBe(before.created_at);
      expect(node.updated_at).toBe("2026-03-04T05:07:07.000Z");
    });

    it("applies a batch all or nothing and names the failing op", async () => {
      const store = await open();
      const before = await bytesOf(store);
      const err = await store
        .applyBatch([
          { op: "put_node", id: "X", type: "stock", data: {} },
          { op: "add_edge", from: "X", to: "GDP", type: "t" },
          { op: "add_edge", from: "X", to: "NOPE", type: "t" },
        ])
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "validation_error", details: { index: 2, code: "unknown_node" } });
      expect(await bytesOf(store)).toBe(before);
      expect(await bytesOf(await open())).toBe(before);
      const ok = await store.applyBatch([
        { op: "put_node", id: "X", type: "stock", data: {} },
        { op: "add_edge", from: "X", to: "GDP", type: "t" },
        { op: "add_edge", from: "X", to: "GDP", type: "t" },
      ]);
      expect(ok.applied).toBe(3);
      expect(store.graph.getEdge("e_X_GDP_t_2")).toBeDefined();
    });

    it("rolls memory back to what is durable when a write fails, and works again afterwards", async () => {
      const recording = new RecordingStorage(storage);
      const store = await GraphStore.open(recording, { seed: SMALL_SEED, clock });
      const before = await bytesOf(store);
      recording.failWith = (call) => (call.op === "put" ? new Error("EIO: injected") : undefined);
      const results = await Promise.allSettled([
        store.putNode("A", { type: "t" }),
        store.putNode("B", { type: "t" }),
        store.deleteNode("GDP"),
      ]);
      expect(results.every((r) => r.status === "rejected")).toBe(true);
      expect(await bytesOf(store)).toBe(before);
      recording.failWith = undefined;
      await store.putNode("C", { type: "t" });
      const reopened = await open();
      expect(reopened.graph.hasNode("C")).toBe(true);
      expect(reopened.graph.hasNode("A")).toBe(false);
      expect(reopened.graph.hasNode("GDP")).toBe(true);
    });

    it("lands 1,000 concurrent mutations", async () => {
      const store = await open();
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => store.putNode(`N${i}`, { type: "t", data: { i } })),
      );
      const reopened = await open();
      expect(reopened.graph.nodesByType("t")).toHaveLength(1000);
    });

    it("refuses writes when opened read-only, and does not seed", async () => {
      const store = await open({ readOnly: true });
      await expect(store.putNode("A", { type: "t" })).rejects.toMatchObject({ code: "read_only" });
      expect(await storage.list("")).toEqual([]);
    });
  });

  describe("versions", () => {
    it("saves versions named by UTC time, newest first, keeping the newest N", async () => {
      const store = await open({ versionRetention: 3 });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        await store.putNode(`V${i}`, { type: "t" });
        ids.push((await store.saveVersion()).id);
        clock.advance(i === 1 ? 0 : 1000);
      }
      expect(ids[0]).toBe("20260304_050607");
      expect(ids[2]).toBe("20260304_050608-2");
      const listed = await store.listVersions();
      expect(listed.map((v) => v.id)).toEqual([ids[4], ids[3], ids[2]]);
      expect(listed[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(listed[0]!.created).toBe("2026-03-04T05:06:10.000Z");
      expect(await storage.get("graph_20260304_050607.json")).toBeNull();
    });

    it("restores a version after backing up the current state", async () => {
      const store = await open();
      const v = await store.saveVersion();
      const atVersion = store.graph.seq;
      await store.putNode("LATER", { type: "t" });
      clock.advance(1000);
      const stats = await store.restoreVersion(v.id);
      expect(stats.total_nodes).toBe(4);
      expect(store.graph.hasNode("LATER")).toBe(false);
      expect(store.graph.seq).toBeGreaterThan(atVersion + 1);
      const backups = await store.listBackups();
      expect(backups).toHaveLength(1);
      const backupGraph = JSON.parse(
        bytesToText((await storage.get(`backups/${backups[0]!.id}/graph.json`))!.body),
      );
      expect(Object.keys(backupGraph.nodes)).toContain("LATER");
      expect((await open()).graph.hasNode("LATER")).toBe(false);
    });

    it("rejects traversal and malformed ids before touching storage", async () => {
      const recording = new RecordingStorage(storage);
      const store = await GraphStore.open(recording, { seed: SMALL_SEED, clock });
      recording.calls.length = 0;
      const bad = [
        "../x",
        "../../etc/passwd",
        "%2e%2e%2f",
        "..%2F",
        "/etc/passwd",
        "20260101_000000/../x",
        "a\u0000b",
        "",
      ];
      for (const id of bad) {
        await expect(store.restoreVersion(id)).rejects.toMatchObject({ code: "invalid_id" });
        await expect(store.restoreBackup(id)).rejects.toMatchObject({ code: "invalid_id" });
        await expect(store.deleteBackup(id)).rejects.toMatchObject({ code: "invalid_id" });
      }
      expect(recording.calls).toEqual([]);
      await expect(store.restoreVersion("20200101_000000")).rejects.toMatchObject({ code: "not_found" });
      await expect(store.restoreBackup("20200101_000000")).rejects.toMatchObject({ code: "not_found" });
      await expect(store.deleteBackup("20200101_000000-3")).rejects.toMatchObject({ code: "not_found" });
    });
  });

  describe("backups", () => {
    it("copies every state file with a manifest of checksums", async () => {
      const store = await open();
      await storage.put("workflow_history.json", "[]\n");
      const backup = await store.backup();
      expect(backup.files.map((f) => f.name).sort()).toEqual([
        "graph.json",
        "seeded_graph.json",
        "workflow_history.json",
      ]);
      const manifest = JSON.parse(
        bytesToText((await storage.get(`backups/${backup.id}/manifest.json`))!.body),
      );
      expect(manifest.files).toEqual(backup.files);
      expect(manifest.files.every((f: { checksum: string }) => /^[0-9a-f]{64}$/.test(f.checksum))).toBe(true);
    });

    it("gives two backups in the same second distinct ids", async () => {
      const store = await open();
      const a = await store.backup();
      const b = await store.backup();
      const [c, d] = await Promise.all([store.backup(), store.backup()]);
      const ids = [a.id, b.id, c!.id, d!.id];
      expect(new Set(ids).size).toBe(4);
      expect(ids).toEqual(["20260304_050607", "20260304_050607-2", "20260304_050607-3", "20260304_050607-4"]);
      expect((await store.listBackups()).map((x) => x.id)).toEqual([...ids].reverse());
    });

    it("keeps the newest N backups", async () => {
      const store = await open({ backupRetention: 2 });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await store.backup()).id);
        clock.advance(1000);
      }
      expect((await store.listBackups()).map((b) => b.id)).toEqual([ids[3], ids[2]]);
      expect(await storage.list(`backups/${ids[0]}/`)).toEqual([]);
    });

    it("restores a backup after making a backup of the current state", async () => {
      const store = await open();
      await storage.put("workflow_history.json", '[{"workflow":"a","timestamp":"t","steps":[]}]');
      const backup = await store.backup();
      clock.advance(1000);
      await store.deleteNode("GDP");
      await storage.put("workflow_history.json", "[]");
      await store.restoreBackup(backup.id);
      expect(store.graph.hasNode("GDP")).toBe(true);
      expect(bytesToText((await storage.get("workflow_history.json"))!.body)).toContain('"a"');
      const backups = await store.listBackups();
      expect(backups).toHaveLength(2);
      const safety = backups[0]!;
      const safetyGraph = JSON.parse(
        bytesToText((await storage.get(`backups/${safety.id}/graph.json`))!.body),
      );
      expect(Object.keys(safetyGraph.nodes)).not.toContain("GDP");
      // The restore can be undone.
      await store.restoreBackup(safety.id);
      expect(store.graph.hasNode("GDP")).toBe(false);
    });

    it("refuses to restore a backup whose files do not match the manifest", async () => {
      const store = await open();
      const backup = await store.backup();
      const key = `backups/${backup.id}/graph.json`;
      await storage.put(key, flipByte((await storage.get(key))!.body, 40));
      const before = await bytesOf(store);
      await expect(store.restoreBackup(backup.id)).rejects.toMatchObject({ code: "checksum_mismatch" });
      expect(await bytesOf(store)).toBe(before);
      expect(await store.listBackups()).toHaveLength(1);
    });

    it("deletes a backup", async () => {
      const store = await open();
      const backup = await store.backup();
      await store.deleteBackup(backup.id);
      expect(await store.listBackups()).toEqual([]);
      expect(await storage.list("backups/")).toEqual([]);
    });
  });

  describe("integrity and recovery", () => {
    it("detects a flipped byte in graph.json and reports it per file", async () => {
      const store = await open();
      await store.saveVersion();
      expect((await store.verify()).ok).toBe(true);
      const stored = (await storage.get("graph.json"))!.body;
      await storage.put("graph.json", flipByte(stored, Math.floor(stored.length / 2)));
      const report = await store.verify();
      expect(report.ok).toBe(false);
      expect(report.files.find((f) => f.key === "graph.json")).toMatchObject({
        ok: false,
        error: { code: "checksum_mismatch" },
      });
      expect(report.files.find((f) => f.key === "graph_20260304_050607.json")).toMatchObject({ ok: true });
    });

    it("recovers on open from the newest valid version or backup, keeping the damaged file", async () => {
      const store = await open();
      await store.putNode("V1", { type: "t" });
      await store.saveVersion();
      clock.advance(1000);
      await store.putNode("B1", { type: "t" });
      const backup = await store.backup();
      clock.advance(1000);
      await store.putNode("V2", { type: "t" });
      const newest = await store.saveVersion();
      clock.advance(1000);
      await store.putNode("LOST", { type: "t" });
      const damaged = flipByte((await storage.get("graph.json"))!.body, 100);
      await storage.put("graph.json", damaged);
      // The newest version is damaged too: recovery must skip it and use the backup.
      const vkey = `graph_${newest.id}.json`;
      await storage.put(vkey, flipByte((await storage.get(vkey))!.body, 100));

      const recovered = await open();
      expect(recovered.recovery).toMatchObject({
        file: "graph.json",
        error: { code: "checksum_mismatch" },
        recoveredFrom: `backups/${backup.id}/graph.json`,
      });
      expect(recovered.recovery!.lost).toContain(vkey);
      expect(recovered.graph.hasNode("B1")).toBe(true);
      expect(recovered.graph.hasNode("LOST")).toBe(false);
      expect(events.some((e) => e.type === "recovered")).toBe(true);
      const kept = await storage.get(recovered.recovery!.preservedAs!);
      expect(Array.from(kept!.body)).toEqual(Array.from(damaged));
      // graph.json is valid again, and the report says what happened.
      const report = await recovered.verify();
      expect(report.files.find((f) => f.key === "graph.json")?.ok).toBe(true);
      expect(report.recovery?.recoveredFrom).toBe(`backups/${backup.id}/graph.json`);
    });

    it("reads recovered state without writing when read-only", async () => {
      const store = await open();
      await store.saveVersion();
      const damaged = flipByte((await storage.get("graph.json"))!.body, 50);
      await storage.put("graph.json", damaged);
      const ro = await open({ readOnly: true });
      expect(ro.recovery?.recoveredFrom).toBe("graph_20260304_050607.json");
      expect(Array.from((await storage.get("graph.json"))!.body)).toEqual(Array.from(damaged));
    });

    it("refuses to open with nothing valid to recover from, and changes nothing", async () => {
      await open();
      for (const bad of [new Uint8Array(0), new Uint8Array(4096), new TextEncoder().encode("{not json")]) {
        await storage.put("graph.json", bad);
        const before = await storage.list("");
        const err = await open().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DawsosError);
        expect((err as DawsosError).code).toMatch(/empty_file|malformed_json/);
        expect((err as Error).message).toContain("graph.json");
        expect(await storage.list("")).toEqual(before);
        expect(Array.from((await storage.get("graph.json"))!.body)).toEqual(Array.from(bad));
      }
    });

    it("treats a missing graph.json next to versions as damage: refuses when the journal does not continue one", async () => {
      const store = await open();
      await store.putNode("KEEP", { type: "t" });
      await store.saveVersion();
      await store.close();
      await storage.delete("graph.json");
      const before = await storage.list("");
      const err = await open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "empty_file" });
      expect((err as Error).message).toMatch(/graph\.json.*missing.*Nothing was changed/s);
      expect(await storage.list("")).toEqual(before);
    });

    it("rebuilds a missing graph.json from the version the journal continues, losing nothing", async () => {
      const store = await open();
      await store.putNode("KEEP", { type: "t" });
      await store.saveVersion();
      await store.putNode("AFTER", { type: "t" });
      await store.patchNode("AFTER", { x: 1 });
      const expected = await bytesOf(store);
      await storage.delete("graph.json");
      const reopened = await open();
      expect(await bytesOf(reopened)).toBe(expected);
      expect(reopened.recovery).toMatchObject({ error: { code: "empty_file" }, lossless: true });
      expect(reopened.recovery!.lost).toMatch(/^nothing/);
      expect(reopened.recovery!.journalPreservedAs).toBeUndefined();
      expect((await storage.list("graph.journal.damaged-")).length).toBe(0);
      // Reported (and healthy) until acknowledged.
      const report = await reopened.verify();
      expect(report.ok).toBe(true);
      expect(report.files.find((f) => f.key === "recovery/pending.json")?.note).toMatch(/nothing lost/);
    });
  });
});
