/**
 * Group "edge" (issue 12, laziness): the Worker and its SQLite-backed `GraphObject` under
 * `wrangler dev` (workerd on this machine, local Durable Object storage), at 1k and 100k nodes
 * with 3 edges per node. Runs once per `pnpm bench`, not per BENCH_SIZES (its sizes are fixed;
 * `BENCH_EDGE_SIZES` overrides them).
 *
 * Per size: import the graph over HTTP, stop wrangler, start it again on the same local state
 * (a cold object: nothing of the graph in memory), time the first `/health` and the first
 * `GET /api/nodes/:id`, then warm GET p50, `influences` p50, and acknowledged PUTs/s with 64
 * concurrent clients. Laziness means the cold first request and the warm GET hardly depend on
 * the graph's size.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WranglerDev } from "../../../tests/support/wrangler-dev.ts";
import type { BenchContext, CaseResult } from "../fixture.ts";
import { generateGraphDocument, type SeedDocument, sizeLabel } from "../generate.ts";
import { now } from "../measure.ts";
import { fmtMs, fmtRatio, type Row } from "../table.ts";

export const group = {
  id: "edge",
  title: "Edge (local wrangler dev): a cold GraphObject at 1k and 100k nodes",
  description:
    "The Worker forwarding to its SQLite-backed GraphObject, under `wrangler dev` on this machine " +
    "(workerd, local Durable Object and R2 storage; labelled local: these are not production figures — " +
    "production adds the network between client, Worker and object, and replicated durable writes). " +
    "Graphs of 1k and 100k nodes with 3 edges per node, imported over HTTP; then wrangler is restarted on " +
    "the same state, so the object starts cold. Measured: the first /health and the first GET " +
    "/api/nodes/:id after the restart, warm GET p50, influences p50 (sequential requests), acknowledged " +
    "PUT /api/nodes/:id per second with 64 concurrent clients, and the import time. Targets (issue 12): " +
    "cold first request at 100k ≤ 2× the one at 1k; warm GET at 100k ≤ 1.5× the one at 1k.",
};

const SIZES = (process.env.BENCH_EDGE_SIZES ?? "1000,100000")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const WARM_REQUESTS = 400;
const PUT_SECONDS = 4;
const PUT_CLIENTS = 64;
/** Under the 64 MiB `PUT /api/graph` limit, and batches under the 1 MiB body limit. */
const NODES_PER_PUT = 20_000;
const NODES_PER_BATCH = 800;
const EDGES_PER_BATCH = 2_000;

interface SizeResult {
  label: string;
  importMs: number;
  coldHealthMs: number;
  coldGetMs: number;
  warmGet: number;
  influences: number;
  putsPerSec: number;
  puts: number;
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const results: SizeResult[] = [];
  const notes: string[] = [];
  for (const nodes of SIZES) results.push(await measureSize(nodes, ctx, notes));
  const rows: Row[] = [];
  const first = results[0];
  const last = results[results.length - 1];
  const coldRatio = first && last && last !== first ? last.coldGetMs / first.coldGetMs : null;
  const warmRatio = first && last && last !== first ? last.warmGet / first.warmGet : null;
  for (const r of results) {
    const isLast = r === last && last !== first;
    rows.push(
      {
        name: "cold: first GET /api/nodes/:id after a restart",
        size: r.label,
        median: r.coldGetMs,
        spread: `first /health ${fmtMs(r.coldHealthMs)} (n=1)`,
        ...(isLast && coldRatio !== null
          ? { vsPeer: `${fmtRatio(coldRatio)} the 1k one`, target: "≤ 2× 1k", met: coldRatio <= 2 }
          : {}),
      },
      {
        name: "warm GET /api/nodes/:id, p50",
        size: r.label,
        median: r.warmGet,
        spread: `n=${WARM_REQUESTS}, sequential`,
        opsPerSec: 1000 / r.warmGet,
        ...(isLast && warmRatio !== null
          ? { vsPeer: `${fmtRatio(warmRatio)} the 1k one`, target: "≤ 1.5× 1k", met: warmRatio <= 1.5 }
          : {}),
      },
      {
        name: "GET /api/nodes/:id/influences, p50",
        size: r.label,
        median: r.influences,
        spread: `n=${WARM_REQUESTS}, sequential`,
      },
      {
        name: `acknowledged PUT /api/nodes/:id, ${PUT_CLIENTS} clients`,
        size: r.label,
        median: "—",
        spread: `${r.puts.toLocaleString("en-US")} in ${PUT_SECONDS} s`,
        opsPerSec: r.putsPerSec,
      },
      { name: "import over HTTP", size: r.label, median: r.importMs },
    );
  }
  return { rows, notes };
}

async function measureSize(nodes: number, ctx: BenchContext, notes: string[]): Promise<SizeResult> {
  const label = sizeLabel(nodes);
  const doc = generateGraphDocument({ nodes, edgesPerNode: 3 });
  const ids = Object.keys(doc.nodes);
  const persistDir = await mkdtemp(join(tmpdir(), "dawsos-bench-edge-"));
  try {
    ctx.log(`edge ${label}: wrangler dev, import`);
    let dev = await WranglerDev.start({ persistDir });
    const call = apiCaller(() => dev);
    let importMs: number;
    try {
      const t0 = now();
      await importGraph(doc, call);
      importMs = now() - t0;
      const stats = (await (await call("GET", "/api/graph/stats")).json()) as {
        total_nodes: number;
        total_edges: number;
      };
      notes.push(
        `${label}: imported ${stats.total_nodes.toLocaleString("en-US")} nodes and ${stats.total_edges.toLocaleString("en-US")} edges ` +
          `(PUT /api/graph with the first ${NODES_PER_PUT.toLocaleString("en-US")} nodes, then POST /api/batch of ` +
          `${NODES_PER_BATCH} nodes or ${EDGES_PER_BATCH.toLocaleString("en-US")} edges at a time)`,
      );
    } finally {
      await dev.dispose();
    }

    ctx.log(`edge ${label}: restart on the same state (cold object)`);
    const started = now();
    dev = await WranglerDev.start({ persistDir, token: dev.token });
    // WranglerDev.start polls /health until it answers: that first answer is the cold /health.
    const coldHealthMs = now() - started;
    try {
      const target = ids[Math.floor(ids.length / 2)]!;
      const t1 = now();
      const cold = await call("GET", `/api/nodes/${encodeURIComponent(target)}`);
      const coldGetMs = now() - t1;
      if (cold.status !== 200) throw new Error(`cold GET answered ${cold.status}`);
      await cold.arrayBuffer();

      const warmGet = await p50(WARM_REQUESTS, (i) =>
        call("GET", `/api/nodes/${encodeURIComponent(ids[(i * 7919) % ids.length]!)}`),
      );
      const influences = await p50(WARM_REQUESTS, (i) =>
        call("GET", `/api/nodes/${encodeURIComponent(ids[(i * 104729) % ids.length]!)}/influences`),
      );

      ctx.log(`edge ${label}: ${PUT_CLIENTS} writers for ${PUT_SECONDS} s`);
      let puts = 0;
      const failures: number[] = [];
      const until = now() + PUT_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: PUT_CLIENTS }, async (_, client) => {
          for (let n = 0; now() < until; n++) {
            const reply = await call("PUT", `/api/nodes/BENCH_${client}_${n}`, {
              type: "bench",
              data: { client, n },
            });
            await reply.arrayBuffer();
            if (reply.status === 201) puts++;
            else failures.push(reply.status);
          }
        }),
      );
      if (failures.length > 0)
        notes.push(
          `${label}: ${failures.length} PUTs failed (statuses ${[...new Set(failures)].join(", ")})`,
        );
      notes.push(
        `${label}: cold /health includes wrangler's own start-up (polled every 250 ms until it answers); ` +
          "the cold GET is the first request to reach the object after the restart",
      );
      return {
        label,
        importMs,
        coldHealthMs,
        coldGetMs,
        warmGet,
        influences,
        puts,
        putsPerSec: puts / PUT_SECONDS,
      };
    } finally {
      await dev.dispose();
    }
  } finally {
    await rm(persistDir, { recursive: true, force: true });
  }
}

type Call = (method: string, path: string, body?: unknown) => Promise<Response>;

function apiCaller(dev: () => WranglerDev): Call {
  return (method, path, body) =>
    fetch(`${dev().baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${dev().token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(300_000),
    });
}

/** The graph in pieces that fit the body limits: nodes first (edges need their endpoints). */
async function importGraph(doc: SeedDocument, call: Call): Promise<void> {
  const entries = Object.entries(doc.nodes);
  const firstNodes = Object.fromEntries(entries.slice(0, NODES_PER_PUT));
  await expectOk(call("PUT", "/api/graph", { ...doc, nodes: firstNodes, edges: [] }), "PUT /api/graph");
  for (let i = NODES_PER_PUT; i < entries.length; i += NODES_PER_BATCH) {
    const ops = entries
      .slice(i, i + NODES_PER_BATCH)
      .map(([id, node]) => ({ op: "put_node", id, type: node.type, data: node.data }));
    await expectOk(call("POST", "/api/batch", { ops }), "POST /api/batch (nodes)");
  }
  for (let i = 0; i < doc.edges.length; i += EDGES_PER_BATCH) {
    const ops = doc.edges.slice(i, i + EDGES_PER_BATCH).map((e) => ({ op: "add_edge", ...e }));
    await expectOk(call("POST", "/api/batch", { ops }), "POST /api/batch (edges)");
  }
}

async function expectOk(reply: Promise<Response>, what: string): Promise<void> {
  const response = await reply;
  const text = await response.text();
  if (!response.ok) throw new Error(`${what}: ${response.status} ${text.slice(0, 300)}`);
}

async function p50(n: number, request: (i: number) => Promise<Response>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    const response = await request(i);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
