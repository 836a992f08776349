/**
 * Group 6 (issue 3), only with BENCH_HUGE=1: a generated 1M-node / 3M-edge graph saves,
 * reopens and verifies through GraphStore over FsStorage. Reports time and peak RSS of each
 * step. Its pretty JSON is far larger than V8's maximum string length (~512 MB), so this is
 * the test of streaming snapshots.
 */
import { join } from "node:path";
import type { GraphStore } from "@dawsos/core";
import {
  type BenchContext,
  type CaseResult,
  closeStore,
  fileSize,
  freshDir,
  openStore,
  removeDir,
} from "../fixture.ts";
import { generateGraphDocument, type SeedDocument } from "../generate.ts";
import { collectGarbage, maxRssEver, now, type RssSampler } from "../measure.ts";
import { fmtBytes, fmtMs, type Row, sizeOf } from "../table.ts";

export const group = {
  id: "huge-graph",
  title: "6. 1M nodes / 3M edges: save, reopen, verify (BENCH_HUGE=1)",
  description:
    "A generated 1M-node / 3M-edge graph: seeded into an empty storage directory through " +
    "`GraphStore.open(storage, { seed })` (falling back to `store.replaceGraph(doc)` when seeding " +
    "fails), reopened with `GraphStore.open`, and checked with `store.verify()`. Time and peak RSS " +
    "(sampled by a worker thread) per step. Targets (issue 13): save ≤ 45 s, reopen ≤ 20 s, verify " +
    "≤ 30 s with a peak RSS ≤ 1.5× that of the reopen (verify streams each file without building the graph).",
};

/**
 * What bounds each step when it misses its target: CPU profiles (`--cpu-prof`) and a GC trace
 * of the same steps at 1M / 3M on this machine, quiet, on 2026-12-04 (bench/src is where such
 * one-off scripts are run from; they are not kept).
 */
const BOUNDS: ReadonlyArray<readonly [string, string]> = [
  [
    "save:",
    "what bounds save (CPU profile, 1M / 3M): garbage collection about a third — the input document, the " +
      "indexed graph and the text being written are all alive at once (peak ~4 GiB); building the indexed " +
      "graph about a third, mostly hash-map work in maps of 1M–3M entries: the adjacency sets of every node " +
      "(addTo alone 13%), the seed edges' derived ids checked for collisions, each edge's endpoints looked " +
      "up; the canonical serialisation about 10% and sorting 3M edge ids 4%; writing and fdatasyncing two " +
      "1.1 GB files (graph.json, seeded_graph.json) about 12%",
  ],
  [
    "reopen:",
    "what bounds reopen (CPU profile and --trace-gc, 1M / 3M, 49 s unprofiled): JSON.parse of 4M lines a " +
      "quarter; scavenges 10 s (598 of them, ~17 ms each: every parsed record survives into the growing " +
      "graph and is copied on its way to the old generation; a 64 MiB semi-space saved about 1 s); the " +
      "19 s after the last line is read go to loading 3M edges into the indexes, ~6 µs per edge for about " +
      "ten lookups and inserts in maps of 1M–3M entries, bound by memory latency; hashing, UTF-8 decoding and " +
      "line splitting about 5%. Reaching 20 s would take a layout that is not one JSON value per record",
  ],
  [
    "verify:",
    "what bounds verify (CPU profile, 1M / 3M): it checks graph.json and seeded_graph.json, 1.1 GB each, " +
      "record by record without building the graph — JSON.parse of each line is about 45% of its time, the " +
      "record checks about 20%, garbage collection of the parsed records (beside the open store's 2 GiB heap) " +
      "about a quarter, hashing about 6%. Its peak RSS stays within 1.5× the reopen's",
  ],
];

const message = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export async function run(ctx: BenchContext, sampler: RssSampler): Promise<CaseResult> {
  const nodes = Number(process.env.BENCH_HUGE_NODES ?? 1_000_000);
  const rows: Row[] = [];
  const notes: string[] = [];
  const baseRss = process.memoryUsage.rss();
  /** Peak RSS of each finished step, by name (verify's memory target is relative to reopen's). */
  const peaks = new Map<string, number>();
  const step = async <T>(
    name: string,
    size: string,
    fn: () => Promise<T>,
    target?: { text: string; met: (ms: number, peakRss: number) => boolean },
  ): Promise<T | undefined> => {
    ctx.log(`[huge] ${name}`);
    collectGarbage();
    sampler.reset();
    const t0 = now();
    try {
      const value = await fn();
      const ms = now() - t0;
      const peak = sampler.peak();
      peaks.set(name, peak);
      rows.push({
        name,
        size,
        median: ms,
        spread: `peak RSS ${fmtBytes(peak)}`,
        target: target?.text ?? "succeeds",
        met: target ? target.met(ms, peak) : true,
      });
      return value;
    } catch (err) {
      rows.push({
        name,
        size,
        median: `failed after ${fmtMs(now() - t0)}`,
        spread: `peak RSS ${fmtBytes(sampler.peak())}`,
        target: "succeeds",
        met: false,
      });
      notes.push(`${name}: ${message(err)}`);
      return undefined;
    }
  };

  let doc: SeedDocument | null = null;
  let size = `${nodes}`;
  await step("generate the document in memory", size, async () => {
    doc = generateGraphDocument({ nodes, edgesPerNode: 3, seed: 20_240_101 });
    size = sizeOf(Object.keys(doc.nodes).length, doc.edges.length);
  });
  if (rows[0]) rows[0].size = size;
  const dir = freshDir(ctx.root, "huge");

  const saved = await step(
    "save: GraphStore.open(storage, { seed })",
    size,
    async () => {
      const store = await openStore(dir, null, { seed: doc });
      await closeStore(store);
      return true;
    },
    { text: "≤ 45 s (issue 13)", met: (ms) => ms <= 45_000 },
  );
  if (!saved) {
    // Seeding writes seeded_graph.json as one pretty string; try the store's other way in.
    removeDir(dir);
    await step("save: store.replaceGraph(doc) over a small seed", size, async () => {
      const store = await openStore(dir, null, {
        seed: { version: 2, nodes: { SEED: { id: "SEED", type: "concept", data: {} } }, edges: [] },
      });
      await store.replaceGraph(doc);
      await closeStore(store);
    });
  }
  doc = null;
  collectGarbage();
  notes.push(`graph.json ${fmtBytes(fileSize(join(dir, "graph.json")) ?? 0)}`);

  let store: GraphStore | undefined;
  const REOPEN = "reopen: GraphStore.open(storage)";
  store = await step(
    REOPEN,
    size,
    async () => {
      const s = await openStore(dir, null);
      notes.push(`reopened: ${s.graph.nodeCount} nodes, ${s.graph.edgeCount} edges, seq ${s.graph.seq}`);
      return s;
    },
    { text: "≤ 20 s (issue 13)", met: (ms) => ms <= 20_000 },
  );
  if (store) {
    const opened = store;
    await step(
      "verify: store.verify()",
      size,
      async () => {
        const report = await opened.verify();
        if (!report.ok)
          throw new Error(`verify() reported problems: ${JSON.stringify(report).slice(0, 500)}`);
      },
      {
        text: "≤ 30 s, peak RSS ≤ 1.5× reopen's (issue 13)",
        met: (ms, peak) => ms <= 30_000 && peak <= 1.5 * (peaks.get(REOPEN) ?? 0),
      },
    );
    await closeStore(store);
    store = undefined;
  } else {
    rows.push({
      name: "verify: store.verify()",
      size,
      median: "skipped (reopen failed)",
      target: "succeeds",
      met: false,
    });
  }
  removeDir(dir);
  collectGarbage();
  for (const row of rows) {
    const bound = row.met ? undefined : BOUNDS.find(([prefix]) => row.name.startsWith(prefix))?.[1];
    if (bound) notes.push(bound);
  }
  notes.push(
    `RSS before the group ${fmtBytes(baseRss)}; lifetime peak of the process ${fmtBytes(maxRssEver())} ` +
      "(includes the earlier groups when they ran in the same process)",
  );
  return { rows, notes };
}
