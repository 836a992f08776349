/**
 * Issue 10, in the library: refused changes apply nothing, a change is visible only once it
 * is durable, ids never collide, recovery never destroys and says what it lost.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { encodeDocument } from "../format/write-document.ts";
import type { PutOptions, PutResult } from "../storage/adapter.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { GraphStore } from "./graph-store.ts";

const SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    AAPL: { type: "stock", data: { symbol: "AAPL" } },
  },
  edges: [{ from: "GDP", to: "AAPL", type: "drives", strength: 0.5 }],
  patterns: {},
};

const deep = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

/** Journal writes wait for `release()` and can be made to fail. */
class GatedStorage extends RecordingStorage {
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  /** The journal as last durably written (the emulated append rewrites it whole). */
  journal = "";

  override async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<PutResult> {
    if (key === "graph.journal" && this.#gate) await this.#gate;
    const result = await super.put(key, body, options);
    if (key === "graph.journal") this.journal = typeof body === "string" ? body : bytesToText(body);
    return result;
  }
}

const text = async (store: GraphStore) => bytesToText((await encodeDocument(store.graph)).bytes);
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("GraphStore: nothing acknowledged is lost, nothing unacknowledged is seen", () => {
  let storage: MemoryStorage;
  let clock: ManualClock;
  const open = (extra: Partial<Parameters<typeof GraphStore.open>[1]> = {}) =>
    GraphStore.open(storage, { seed: SEED, clock, ...extra });

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new ManualClock("2026-03-04T05:06:07.000Z");
  });

  it("refuses values JSON cannot round-trip before applying anything, naming the path", async () => {
    const store = await open();
    const before = await text(store);
    const seq = store.graph.seq;
    const refused: Array<[string, () => Promise<unknown>, string]> = [
      ["deep put", () => store.putNode("D", { type: "t", data: { a: deep(5000) } }), "node.data.a"],
      ["65 levels", () => store.putNode("D", { type: "t", data: { a: deep(64) } }), "node.data.a"],
      [
        "Infinity",
        () => store.putNode("D", { type: "t", data: { p: Number.POSITIVE_INFINITY } }),
        "node.data.p",
      ],
      [
        "NaN in array",
        () => store.putNode("D", { type: "t", data: { p: [1, Number.NaN] } }),
        "node.data.p[1]",
      ],
      ["patch", () => store.patchNode("GDP", { value: Number.NEGATIVE_INFINITY }), "data.value"],
      ["undefined", () => store.patchNode("GDP", { value: undefined } as never), "data.value"],
      ["date", () => store.patchNode("GDP", { when: new Date(0) } as never), "data.when"],
      [
        "edge metadata",
        () =>
          store.addEdge({ from: "GDP", to: "AAPL", type: "x", metadata: { w: Number.POSITIVE_INFINITY } }),
        "edge.metadata.w",
      ],
      ["pattern", () => store.putPattern("P", { type: "X", weight: deep(70) }), "pattern.weight"],
      [
        "batch",
        () =>
          store.applyBatch([
            { op: "put_node", id: "B", type: "t", data: {} },
            { op: "patch_node", id: "GDP", data: { v: Number.POSITIVE_INFINITY } },
          ]),
        "data.v",
      ],
    ];
    for (const [what, attempt, path] of refused) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err, what).toMatchObject({ code: "validation_error" });
      expect(JSON.stringify((err as { details?: unknown }).details), what).toContain(path);
    }
    expect(store.graph.seq).toBe(seq);
    expect(await text(store)).toBe(before);
    // The journal holds nothing for them, so later writes replay without a gap.
    await store.putNode("ACKED", { type: "t", data: { ok: true, n: 64, a: deep(63) } });
    await store.close();
    const reopened = await open();
    expect(reopened.recovery).toBeNull();
    expect(reopened.graph.getNode("ACKED")?.data).toMatchObject({ ok: true });
    expect(reopened.graph.hasNode("D")).toBe(false);
  });

  it("keeps __proto__, constructor, lone surrogates and NUL as plain data through a reopen", async () => {
    const store = await open();
    const data = JSON.parse('{"__proto__":{"polluted":1},"constructor":"c","s":"\\ud800x\\u0000"}');
    await store.putNode("__proto__", { type: "t", data });
    await store.patchNode("__proto__", JSON.parse('{"__proto__":{"more":2}}'));
    const expected = await text(store);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    const reopened = await open();
    expect(await text(reopened)).toBe(expected);
    expect(
      Object.getOwnPropertyDescriptor(reopened.graph.getNode("__proto__")!.data, "__proto__")?.value,
    ).toEqual({
      polluted: 1,
      more: 2,
    });
  });

  it("a reader that waits on refresh() never sees a change before it is durable, nor one rolled back", async () => {
    const gated = new GatedStorage(storage);
    const store = await GraphStore.open(gated, { seed: SEED, clock });
    gated.hold();
    const ghost = store.putNode("GHOST", { type: "t" });
    await tick(); // the write is in flight: applied while its group is being written
    const seen = store.refresh().then(() => store.graph.hasNode("GHOST"));
    gated.failWith = (call) => (call.key === "graph.journal" ? new Error("EIO: injected") : undefined);
    gated.release();
    await expect(ghost).rejects.toThrow(/EIO/);
    expect(await seen).toBe(false);

    gated.failWith = undefined;
    gated.hold();
    const real = store.putNode("REAL", { type: "t" });
    await tick();
    const seenReal = store.refresh().then(() => ({
      has: store.graph.hasNode("REAL"),
      durable: gated.journal.includes('"id":"REAL"'),
    }));
    gated.release();
    await real;
    expect(await seenReal).toEqual({ has: true, durable: true });
  });

  it("a reader waiting behind a stream of writers is not starved and sees only durable state", async () => {
    const gated = new GatedStorage(storage);
    const store = await GraphStore.open(gated, { seed: SEED, clock });
    const writes: Promise<unknown>[] = [];
    let checks = 0;
    for (let i = 0; i < 200; i++) {
      writes.push(store.putNode(`W${i}`, { type: "t" }));
      if (i % 20 === 10) {
        await store.refresh();
        checks++;
        for (const node of store.graph.nodes()) {
          if (node.id.startsWith("W")) expect(gated.journal, node.id).toContain(`"id":"${node.id}"`);
        }
      }
    }
    await Promise.all(writes);
    expect(checks).toBe(10);
    expect(store.graph.nodeCount).toBe(202);
  });

  it("backup and version ids are unique within a second, sort in creation order, and retention keeps the new one", async () => {
    const store = await open({ backupRetention: 5, versionRetention: 3 });
    const backups = await Promise.all(Array.from({ length: 12 }, () => store.backup()));
    const ids = backups.map((b) => b.id);
    expect(new Set(ids).size).toBe(12);
    expect(ids.slice(0, 3)).toEqual(["20260304_050607", "20260304_050607-2", "20260304_050607-3"]);
    expect(ids[11]).toBe("20260304_050607-12");
    expect((await store.listBackups()).map((b) => b.id)).toEqual(ids.slice(-5).reverse());
    // Deleting the newest does not free its id.
    await store.deleteBackup(ids[11]!);
    expect((await store.backup()).id).toBe("20260304_050607-13");
    // A clock that steps back still yields an id that sorts newest, and it is kept.
    clock.set("2026-03-04T05:00:00.000Z");
    const stepped = await store.backup();
    expect(stepped.id).toBe("20260304_050607-14");
    expect((await store.listBackups())[0]!.id).toBe(stepped.id);
    const versions = [];
    for (let i = 0; i < 5; i++) versions.push((await store.saveVersion()).id);
    expect(new Set(versions).size).toBe(5);
    expect((await store.listVersions()).map((v) => v.id)).toEqual(versions.slice(-3).reverse());
  });

  it("restoring the oldest backup keeps it and its safety backup through retention", async () => {
    const store = await open({ backupRetention: 3 });
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await store.backup()).id);
    await store.putNode("PRECIOUS", { type: "t" });
    await store.restoreBackup(made[0]!);
    expect(store.graph.hasNode("PRECIOUS")).toBe(false);
    const listed = (await store.listBackups()).map((b) => b.id);
    expect(listed).toContain(made[0]);
    const safety = listed[0]!;
    await store.restoreBackup(safety);
    expect(store.graph.hasNode("PRECIOUS")).toBe(true);
  });

  it("recovers a damaged graph.json from a backup of an original Python storage (trusted by its manifest)", async () => {
    const python = {
      version: 1,
      nodes: Object.fromEntries(
        Array.from({ length: 25 }, (_, i) => [
          `N${i}`,
          {
            id: `N${i}`,
            type: "stock",
            data: { i },
            created: "c",
            modified: "m",
            connections_in: [],
            connections_out: [],
          },
        ]),
      ),
      edges: [
        { id: "edge_1", from: "N0", to: "N1", type: "drives", strength: 0.5, created: "c", activations: 0 },
      ],
      patterns: {},
      forecasts: {},
    };
    await storage.put("graph.json", `${JSON.stringify(python, null, 2)}\n`);
    const migrated = await open();
    expect(migrated.graph.nodeCount).toBe(25);
    await migrated.backup();
    await migrated.close();
    // Keep only the backup of the original Python bytes (made by the migration).
    const backups = await migrated.listBackups();
    for (const b of backups.slice(0, -1)) await storage.delete(`backups/${b.id}/manifest.json`);
    const graph = (await storage.get("graph.json"))!.body.slice();
    graph[40] = graph[40]! ^ 0x04;
    await storage.put("graph.json", graph);
    const recovered = await open();
    expect(recovered.graph.nodeCount).toBe(25);
    expect(recovered.graph.edgeCount).toBe(1);
    expect(recovered.recovery?.recoveredFrom).toBe(`backups/${backups.at(-1)!.id}/graph.json`);
  });

  it("a damaged graph.json whose journal continues a version loses nothing and keeps no 'damaged' journal", async () => {
    const store = await open();
    await store.putNode("V", { type: "t" });
    await store.saveVersion();
    for (let i = 0; i < 5; i++) await store.putNode(`J${i}`, { type: "t" });
    const expected = await text(store);
    const graph = (await storage.get("graph.json"))!.body.slice();
    graph[60] = graph[60]! ^ 0x04;
    await storage.put("graph.json", graph);
    const recovered = await open();
    expect(await text(recovered)).toBe(expected);
    expect(recovered.recovery).toMatchObject({ lossless: true, file: "graph.json" });
    expect(recovered.recovery?.lost).toMatch(/^nothing/);
    expect(await storage.list("graph.journal.damaged-")).toEqual([]);
    expect((await recovered.verify()).ok).toBe(true);
  });

  it("a lossy recovery fails verify until acknowledged, and keeps a copy of every dropped journal record", async () => {
    const store = await open();
    await store.saveVersion();
    await store.putNode("KEPT_IN_JOURNAL", { type: "t" });
    await store.compact(); // graph.json now holds it; the journal is empty
    await store.putNode("TAIL", { type: "t" });
    const graph = (await storage.get("graph.json"))!.body.slice();
    graph[60] = graph[60]! ^ 0x04;
    await storage.put("graph.json", graph);
    const recovered = await open();
    expect(recovered.recovery).toMatchObject({ lossless: false });
    expect(recovered.graph.hasNode("KEPT_IN_JOURNAL")).toBe(false);
    const copy = recovered.recovery!.journalPreservedAs!;
    expect(bytesToText((await storage.get(copy))!.body)).toContain("TAIL");
    const report = await recovered.verify();
    expect(report.ok).toBe(false);
    expect(report.files.find((f) => f.key === "recovery/pending.json")).toMatchObject({
      ok: false,
      error: { code: "data_lost" },
    });
    // Still reported after another restart, until acknowledged.
    await recovered.close();
    const again = await open();
    expect((await again.verify()).ok).toBe(false);
    expect(await again.acknowledgeRecovery()).toBe(1);
    expect((await again.verify()).ok).toBe(true);
    // A second recovery acknowledged in the same second keeps the first acknowledged record.
    const graph2 = (await storage.get("graph.json"))!.body.slice();
    graph2[60] = graph2[60]! ^ 0x04;
    await storage.put("graph.json", graph2);
    await again.close();
    const third = await open();
    expect(third.recovery).not.toBeNull();
    expect(await third.acknowledgeRecovery()).toBe(1);
    const acknowledged = await storage.list("recovery/acknowledged-");
    expect(acknowledged.map((o) => o.key).sort()).toEqual([
      "recovery/acknowledged-20260304_050607-2.json",
      "recovery/acknowledged-20260304_050607.json",
    ]);
  });
});
