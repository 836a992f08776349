/**
 * Group 4 (SPEC section 9 item 3): `influences(id)` through the graph's in-edge index vs a
 * linear scan of the edge list (what the original system did), plus neighbours at depth 2 and
 * paths up to 4 hops.
 */
import { type GraphEdge, type KnowledgeGraph, readDocument } from "@dawsos/core";
import type { BenchContext, CaseResult, Fixture } from "../fixture.ts";
import { createRng } from "../generate.ts";
import { collectGarbage, measureSync, now } from "../measure.ts";
import { fmtMs, fmtRatio, statsRow } from "../table.ts";

export const group = {
  id: "traversal",
  title: "4. Traversal: influences(id) vs a linear scan; neighbors; paths",
  description:
    "`graph.influences(id)` (in-edge index, strongest first) vs a linear scan of the edge list " +
    "(`edges.filter(e => e.to === id)` sorted by strength, as the original system did), for random " +
    "nodes and for the regime hub; `graph.neighbors(id, { depth: 2 })` of random nodes; " +
    "`graph.paths(from, to, { maxDepth: 4 })` between nodes joined by a 3–4 hop walk. In memory.",
};

/** The original system's "find influences": a pass over every edge. */
function scanInfluences(edges: readonly GraphEdge[], id: string): GraphEdge[] {
  return edges.filter((e) => e.to === id).sort((a, b) => b.strength - a.strength);
}

/** Pairs (from, to) joined by a random directed walk of 3–4 hops, so paths exist. */
function walkPairs(
  graph: KnowledgeGraph,
  ids: readonly string[],
  count: number,
  seed: number,
): Array<[string, string]> {
  const rng = createRng(seed);
  const pairs: Array<[string, string]> = [];
  for (let attempt = 0; pairs.length < count && attempt < count * 20; attempt++) {
    const from = ids[Math.floor(rng() * ids.length)]!;
    let at = from;
    const hops = 3 + Math.floor(rng() * 2);
    let ok = true;
    for (let h = 0; h < hops; h++) {
      const out = graph.outEdges(at);
      if (out.length === 0) {
        ok = false;
        break;
      }
      at = out[Math.floor(rng() * out.length)]!.to;
    }
    if (ok && at !== from) pairs.push([from, at]);
  }
  return pairs;
}

export async function run(fx: Fixture, ctx: BenchContext): Promise<CaseResult> {
  ctx.log(`[${fx.size}] traversal: building the in-memory graph`);
  const t0 = now();
  const { graph } = readDocument(fx.doc, { file: "bench", now: new Date().toISOString() });
  const buildMs = now() - t0;
  const edges = [...graph.edges()];
  const rng = createRng(99);
  const sample = Array.from({ length: 1000 }, () => fx.ids[Math.floor(rng() * fx.ids.length)]!);
  const hub = "ECONOMIC_REGIME";
  const hubInDegree = graph.inEdges(hub).length;

  ctx.log(`[${fx.size}] traversal: influences vs scan`);
  const influences = measureSync((i) => graph.influences(sample[i % sample.length]!), {
    iterations: 200,
    batch: 100,
    warmup: 5,
  });
  const scan = measureSync((i) => scanInfluences(edges, sample[i % sample.length]!), {
    iterations: 100,
    warmup: 3,
    maxTimeMs: 5000,
  });
  const hubInfluences = measureSync(() => graph.influences(hub), {
    iterations: 100,
    warmup: 5,
    maxTimeMs: 3000,
  });
  const hubScan = measureSync(() => scanInfluences(edges, hub), {
    iterations: 50,
    warmup: 2,
    maxTimeMs: 3000,
  });

  ctx.log(`[${fx.size}] traversal: neighbors depth 2, paths maxDepth 4`);
  const neighbors = measureSync((i) => graph.neighbors(sample[i % sample.length]!, { depth: 2 }), {
    iterations: 200,
    batch: 10,
    warmup: 3,
    maxTimeMs: 5000,
  });
  const pairs = walkPairs(graph, fx.ids, 200, 5);
  let found = 0;
  let calls = 0;
  const paths = measureSync(
    (i) => {
      const [from, to] = pairs[i % pairs.length]!;
      const result = graph.paths(from, to, { maxDepth: 4 });
      found += result.length;
      calls++;
      return result;
    },
    { iterations: 200, warmup: 3, maxTimeMs: 5000 },
  );
  collectGarbage();

  const ratio = scan.median / influences.median;
  const hubRatio = hubScan.median / hubInfluences.median;
  return {
    rows: [
      statsRow("influences(id), random node", fx.size, influences, {
        vsPeer: `${fmtRatio(ratio)} faster than scan`,
        target: "faster than scan",
        met: ratio > 1,
      }),
      statsRow("linear scan of the edge list, random node", fx.size, scan, { vsPeer: "—" }),
      statsRow(`influences(${hub}) (${hubInDegree} in-edges)`, fx.size, hubInfluences, {
        vsPeer: `${fmtRatio(hubRatio)} faster than scan`,
        target: "faster than scan",
        met: hubRatio > 1,
      }),
      statsRow(`linear scan, ${hub}`, fx.size, hubScan, { vsPeer: "—" }),
      statsRow("neighbors(id, { depth: 2 })", fx.size, neighbors),
      statsRow("paths(from, to, { maxDepth: 4 })", fx.size, paths),
    ],
    notes: [
      `${fx.size}: in-memory graph built from the document in ${fmtMs(buildMs)}; paths found ${(found / Math.max(1, calls)).toPrecision(3)} per call on average over ${pairs.length} reachable pairs`,
    ],
  };
}
