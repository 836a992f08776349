/**
 * Group 3 (SPEC section 9 item 2, issue 3): opening the graph — load, verify the checksum,
 * replay the journal, index — vs reading the same graph.json and `JSON.parse`-ing it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GraphStore } from "@dawsos/core";
import {
  type BenchContext,
  type CaseResult,
  closeStore,
  describeDir,
  type Fixture,
  openStore,
  removeDir,
  shuffledIndexes,
  storageCopy,
  updateFor,
} from "../fixture.ts";
import { blackhole, collectGarbage, measure, measureSync, now, type Stats } from "../measure.ts";
import { fmtMs, fmtRatio, type Row, statsRow } from "../table.ts";

export const group = {
  id: "open",
  title: "3. Open (load + verify + replay + index) vs JSON.parse",
  description:
    "`GraphStore.open` (read-only, nodeSha256) of a storage directory whose graph.json was written by " +
    "GraphStore, followed by 1,000 acknowledged `putNode` changes (a journal to replay once the " +
    "journal exists), then again after `store.close()`; vs `JSON.parse(readFileSync(graph.json, " +
    '"utf8"))` of the same file. Also the fixture seeding through `GraphStore.open(storage, { seed })` ' +
    "vs `JSON.parse` of the seed document text, and the heap an open store holds per node. Targets " +
    "(issue 13, at 100k): open ≤ 1.5× JSON.parse (the moonshot), seed ≤ 3× JSON.parse.",
};

const CHANGES = 1000;
/** Sequential changes stop after this long; the rest are issued concurrently (group commit). */
const SEQUENTIAL_BUDGET_MS = 10_000;

export async function run(fx: Fixture, ctx: BenchContext): Promise<CaseResult> {
  const notes: string[] = [];
  const big = fx.nodes > 20_000;
  const dir = storageCopy(fx, ctx, "open");

  ctx.log(`[${fx.size}] open: ${CHANGES} changes after the snapshot`);
  const writer = await openStore(dir, fx);
  const order = shuffledIndexes(fx.ids.length, 11);
  let sequential = 0;
  const t0 = now();
  while (sequential < CHANGES && now() - t0 < SEQUENTIAL_BUDGET_MS) {
    const id = fx.ids[order[sequential % order.length]!]!;
    await writer.putNode(id, updateFor(fx, id, sequential));
    sequential++;
  }
  const rest: Promise<unknown>[] = [];
  for (let k = sequential; k < CHANGES; k++) {
    const id = fx.ids[order[k % order.length]!]!;
    rest.push(writer.putNode(id, updateFor(fx, id, k)));
  }
  await Promise.all(rest);
  const buildMs = now() - t0;
  const expected = { seq: writer.graph.seq, nodes: writer.graph.nodeCount, edges: writer.graph.edgeCount };
  notes.push(
    `${fx.size}: ${CHANGES} changes, ${sequential} one at a time and ${CHANGES - sequential} concurrently ` +
      `(the sequential ones stop after ${SEQUENTIAL_BUDGET_MS / 1000} s), ${fmtMs(buildMs)} in all; ` +
      `files then: ${describeDir(dir)}`,
  );

  const rows: Row[] = [];
  const graphFile = join(dir, "graph.json");
  const iterations = big ? 5 : 20;
  const budget = big ? 25_000 : 10_000;
  // A multi-second operation needs no JIT warm-up run; small ones get one.
  const warmup = big ? 0 : 1;

  // Opens while the writer is still open: a clean close may compact the journal away.
  const openReadOnly = async (label: string): Promise<Stats | null> => {
    let checked = false;
    try {
      return await measure(
        async () => {
          const store: GraphStore = await openStore(dir, null, { readOnly: true });
          if (!checked) {
            checked = true;
            const got = { seq: store.graph.seq, nodes: store.graph.nodeCount, edges: store.graph.edgeCount };
            if (got.seq !== expected.seq || got.nodes !== expected.nodes || got.edges !== expected.edges) {
              notes.push(
                `${fx.size}: ${label}: opened ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
              );
            }
          }
          blackhole(store.graph.nodeCount);
          await closeStore(store);
        },
        { iterations, warmup, maxTimeMs: budget, before: collectGarbage },
      );
    } catch (err) {
      notes.push(`${fx.size}: ${label}: open failed: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };

  ctx.log(`[${fx.size}] open with the changes after the snapshot (read-only, writer still open)`);
  const withJournal = await openReadOnly("read-only open while the writer is open");

  ctx.log(`[${fx.size}] JSON.parse(readFileSync(graph.json))`);
  const parse = measureSync(() => JSON.parse(readFileSync(graphFile, "utf8")), {
    iterations,
    warmup,
    maxTimeMs: budget,
    before: collectGarbage,
  });
  collectGarbage();

  await closeStore(writer);
  collectGarbage();
  ctx.log(`[${fx.size}] open after store.close()`);
  notes.push(`${fx.size}: files after close(): ${describeDir(dir)}`);
  const afterClose = await openReadOnly("read-only open after close()");
  // The same file after close(), for the second comparison (close may have compacted).
  const parseAfter = measureSync(() => JSON.parse(readFileSync(graphFile, "utf8")), {
    iterations,
    warmup,
    maxTimeMs: budget,
    before: collectGarbage,
  });

  // Issue 13: open at most 1.5× JSON.parse of graph.json and seed at most 3× (both stated at
  // 100k); smaller sizes show the ratios without a verdict.
  const judged = fx.nodes >= 100_000;
  const openRatios: number[] = [];
  const ratioRow = (name: string, s: Stats | null, peer: Stats): Row => {
    if (!s) return { name, size: fx.size, median: "failed", target: "≤ 1.5× JSON.parse", met: false };
    const ratio = s.median / peer.median;
    openRatios.push(ratio);
    return statsRow(name, fx.size, s, {
      vsPeer: `${fmtRatio(ratio)} JSON.parse`,
      ...(judged ? { target: "≤ 1.5× JSON.parse", met: ratio <= 1.5 } : {}),
    });
  };
  // Seeding (once per size, by the fixture) vs JSON.parse of the same seed document's text.
  const seedText = JSON.stringify(fx.doc);
  const seedParse = measureSync(() => JSON.parse(seedText), {
    iterations,
    warmup,
    maxTimeMs: budget,
    before: collectGarbage,
  });
  const seedRatio = fx.seedMs / seedParse.median;
  // Node memory (issue 13): heap after GC of an open store, per node.
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const resident = await openStore(dir, null, { readOnly: true });
  collectGarbage();
  const bytesPerNode = (process.memoryUsage().heapUsed - heapBefore) / resident.graph.nodeCount;
  await closeStore(resident);
  notes.push(
    `${fx.size}: an open store holds ${Math.round(bytesPerNode).toLocaleString("en-US")} bytes of heap per node ` +
      "(heap after GC with the store open minus before, ÷ nodes; edges and indexes included)",
  );
  if (judged && seedRatio > 3) {
    notes.push(
      `${fx.size}: what bounds seeding (CPU profile at 100k): building the indexed graph from the parsed ` +
        "document (node and adjacency indexes, checks, the seed's derived edge ids) is about 40%; one canonical " +
        "serialisation of graph.json and the fdatasync of it and of seeded_graph.json (a byte copy) about 35%; " +
        "garbage collection of the ~1 GiB heap that holds the input, the graph and the text about 20%. " +
        "JSON.parse of the seed text, the peer, builds only the input objects",
    );
  }
  rows.push(
    ratioRow(`GraphStore.open, graph.json + ${CHANGES} changes after it`, withJournal, parse),
    statsRow("JSON.parse(readFileSync(graph.json))", fx.size, parse, { vsPeer: "—" }),
    ratioRow("GraphStore.open after store.close()", afterClose, parseAfter),
    statsRow("JSON.parse(readFileSync(graph.json)) after close()", fx.size, parseAfter, { vsPeer: "—" }),
    {
      name: "seed: GraphStore.open(storage, { seed }) of the generated document (once)",
      size: fx.size,
      median: fx.seedMs,
      vsPeer: `${fmtRatio(seedRatio)} JSON.parse of its text`,
      ...(judged ? { target: "≤ 3× JSON.parse", met: seedRatio <= 3 } : {}),
    },
    statsRow("JSON.parse(seed document text)", fx.size, seedParse, { vsPeer: "—" }),
  );
  if (judged && openRatios.some((r) => r > 1.5)) {
    notes.push(
      `${fx.size}: what bounds open (CPU profile of GraphStore.open at 100k, 2026-12-04): JSON.parse of ` +
        "each line is 27% — about the work of the peer, which parses the same text whole — garbage " +
        "collection 23%, loading the edges into the adjacency and type indexes 18% and the nodes 7%, UTF-8 " +
        "decoding and line splitting 6%, hashing for the checksum 3%. The indexes and the checksum are what " +
        "the peer does not do; the margin under 1.5× is small, so runs land on either side of it",
    );
  }
  removeDir(dir);
  collectGarbage();
  return { rows, notes };
}
