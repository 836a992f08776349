import { beforeEach, describe, expect, it } from "vitest";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { meterChunks, type Progress } from "../util/progress.ts";
import { GraphStore } from "./graph-store.ts";
import { verifyStorage } from "./verify-storage.ts";

/** A seed-format graph of `n` nodes in a chain, big enough for many stream chunks. */
function chainDocument(n: number, prefix = "N") {
  const nodes: Record<string, unknown> = {};
  const edges: unknown[] = [];
  for (let i = 0; i < n; i++) {
    nodes[`${prefix}${i}`] = { type: "stock", data: { symbol: `${prefix}${i}`, note: "x".repeat(40) } };
    if (i > 0) edges.push({ from: `${prefix}${i - 1}`, to: `${prefix}${i}`, type: "feeds", strength: 0.5 });
  }
  return {
    version: 2,
    nodes,
    edges,
    patterns: { p: { type: "T", trigger_conditions: ["a"], confidence: 1 } },
  };
}

/** Reports grouped by step, in the order the steps started. */
function bySteps(reports: readonly Progress[]): Map<string, Progress[]> {
  const steps = new Map<string, Progress[]>();
  for (const r of reports) steps.set(r.step, [...(steps.get(r.step) ?? []), r]);
  return steps;
}

/** A step counted up from 0 without going back, and finished: its last report is its total. */
function expectFinished(reports: readonly Progress[] | undefined, unit: Progress["unit"]): Progress {
  expect(reports, "step was reported").toBeDefined();
  const all = reports!;
  expect(all[0]!.done).toBe(0);
  for (let i = 1; i < all.length; i++) expect(all[i]!.done).toBeGreaterThanOrEqual(all[i - 1]!.done);
  const last = all[all.length - 1]!;
  expect(last.unit).toBe(unit);
  expect(last.total).toBeGreaterThan(0);
  expect(last.done).toBe(last.total);
  return last;
}

describe("GraphStore progress reports", () => {
  let storage: MemoryStorage;
  let clock: ManualClock;
  let reports: Progress[];
  const open = (seed: unknown = chainDocument(300)) =>
    GraphStore.open(storage, { seed, clock, onProgress: (p) => reports.push(p) });
  const size = async (key: string) => (await storage.get(key))!.body.length;

  beforeEach(() => {
    storage = new MemoryStorage();
    clock = new ManualClock("2026-03-04T05:06:07.000Z");
    reports = [];
  });

  it("opening reads graph.json in chunks, counted up to its size; seeding writes every entry", async () => {
    const seeded = await open();
    // An empty storage has nothing to read: the seed is written (300 nodes, 299 edges, 1 pattern).
    expect(bySteps(reports).has("reading graph.json")).toBe(false);
    expect(expectFinished(bySteps(reports).get("writing graph.json"), "records").total).toBe(600);
    await seeded.close();

    reports = [];
    const store = await open();
    const reading = bySteps(reports).get("reading graph.json");
    expect(expectFinished(reading, "bytes").total).toBe(await size("graph.json"));
    // Real chunks of the stream, not a start and an end.
    expect(reading!.length).toBeGreaterThan(10);
    await store.close();
  });

  it("verify counts the bytes of every file it checks (a backup's graph twice); the report is unchanged", async () => {
    const store = await open();
    await store.backup();
    await store.saveVersion();
    const quiet = await GraphStore.open(storage, { readOnly: true, clock });
    const expected = await quiet.verify();
    await quiet.close();

    reports = [];
    const report = await store.verify();
    expect(report).toEqual(expected);
    expect(report.ok).toBe(true);
    const steps = bySteps(reports);
    expect([...steps.keys()]).toEqual(["verifying"]);
    const last = expectFinished(steps.get("verifying"), "bytes");
    const backupGraph = (await storage.list("backups/")).find((o) => o.key.endsWith("/graph.json"))!;
    let listed = 0;
    for (const o of await storage.list("")) if (!o.key.startsWith("recovery/")) listed += o.size;
    expect(last.total).toBe(listed + backupGraph.size);
    await store.close();
  });

  it("verify still reports a missing graph.json, with or without progress", async () => {
    const store = await open();
    await store.backup();
    await store.close();
    await storage.delete("graph.json");
    for (const onProgress of [undefined, (p: Progress) => reports.push(p)]) {
      const report = await verifyStorage(storage, { now: clock.now().toISOString(), onProgress });
      expect(report.ok).toBe(false);
      expect(report.files.find((f) => f.key === "graph.json")).toMatchObject({
        ok: false,
        error: { code: "empty_file" },
      });
      expect(report.files.filter((f) => f.key === "graph.json")).toHaveLength(1);
    }
    expectFinished(bySteps(reports).get("verifying"), "bytes");
  });

  it("backup counts the bytes copied: the graph and the state files", async () => {
    const store = await open();
    reports = [];
    const backup = await store.backup();
    const last = expectFinished(bySteps(reports).get("backing up"), "bytes");
    expect(last.total).toBe(backup.files.reduce((sum, f) => sum + f.size, 0));
    await store.close();
  });

  it("restore: checks the backup, reads its graph, backs up the current one, writes the new graph.json", async () => {
    const store = await open();
    const backup = await store.backup();
    await store.replaceGraph(chainDocument(50, "M"));
    reports = [];
    const stats = await store.restoreBackup(backup.id);
    expect(stats.total_nodes).toBe(300);
    const steps = bySteps(reports);
    const prefix = `backups/${backup.id}/`;
    expect([...steps.keys()]).toEqual([
      `checking ${prefix}`,
      `reading ${prefix}graph.json`,
      "backing up",
      "writing graph.json",
    ]);
    expect(expectFinished(steps.get(`checking ${prefix}`), "bytes").total).toBe(
      backup.files.reduce((sum, f) => sum + f.size, 0),
    );
    expect(expectFinished(steps.get(`reading ${prefix}graph.json`), "bytes").total).toBe(
      await size(`${prefix}graph.json`),
    );
    expectFinished(steps.get("backing up"), "bytes");
    expect(expectFinished(steps.get("writing graph.json"), "records").total).toBe(600);
    await store.close();
  });

  it("replaceGraph: backs up, then writes the new graph's entries", async () => {
    const store = await open();
    reports = [];
    await store.replaceGraph(chainDocument(1000, "R"));
    const steps = bySteps(reports);
    expect([...steps.keys()]).toEqual(["backing up", "writing graph.json"]);
    // 1000 nodes, 999 edges, 1 pattern; written in several chunks.
    const writing = steps.get("writing graph.json");
    expect(expectFinished(writing, "records").total).toBe(2000);
    expect(writing!.length).toBeGreaterThan(2);
    await store.close();
  });

  it("reporting progress changes nothing written: the same graph.json with or without it", async () => {
    const withProgress = await open();
    await withProgress.close();
    const reported = (await storage.get("graph.json"))!.body;
    storage = new MemoryStorage();
    const plain = await GraphStore.open(storage, { seed: chainDocument(300), clock });
    await plain.close();
    expect((await storage.get("graph.json"))!.body).toEqual(reported);
  });
});

describe("meterChunks", () => {
  it("counts each chunk and closes its source when closed early", async () => {
    let closed = false;
    async function* source() {
      try {
        yield new Uint8Array(3);
        yield new Uint8Array(5);
        yield new Uint8Array(7);
      } finally {
        closed = true;
      }
    }
    const counts: number[] = [];
    for await (const chunk of meterChunks(source(), (n) => counts.push(n))) {
      if (chunk.length === 5) break;
    }
    expect(counts).toEqual([3, 5]);
    expect(closed).toBe(true);
  });
});
