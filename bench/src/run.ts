/**
 * `pnpm bench`: every benchmark group at every size in BENCH_SIZES (default 10000,100000),
 * plus the 1M-node graph with BENCH_HUGE=1. Prints one Markdown table per group and rewrites
 * bench/RESULTS.md. Exits 0 whether or not targets are met (the tables say "no").
 *
 * Environment:
 *   BENCH_SIZES=10000,100000   node counts (3 edges per node)
 *   BENCH_HUGE=1               also the 1M-node / 3M-edge group (minutes, several GiB of RAM)
 *   BENCH_HUGE_NODES=1000000   its size
 *   BENCH_ONLY=open,traversal  run only these groups (ids as in RESULTS.md)
 *   BENCH_DASHBOARD_SIZES=1000,5000,100000  node counts of the dashboard group (headless Chromium)
 *   BENCH_DIR=/path            working directory (default bench/.data/run-<pid>; it must be a
 *                              real disk — on tmpfs fsync costs nothing)
 *   BENCH_RESULTS=/path        where to write the results (default bench/RESULTS.md)
 */
import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as cache from "./cases/cache.ts";
import * as changeFeed from "./cases/change-feed.ts";
import * as compaction from "./cases/compaction.ts";
import * as concurrentWriters from "./cases/concurrent-writers.ts";
import * as dashboard from "./cases/dashboard.ts";
import * as durableUpdate from "./cases/durable-update.ts";
import * as edge from "./cases/edge.ts";
import * as http from "./cases/http.ts";
import * as hugeGraph from "./cases/huge-graph.ts";
import * as open from "./cases/open.ts";
import * as traversal from "./cases/traversal.ts";
import { type BenchContext, type CaseResult, createFixture, type Fixture, removeDir } from "./fixture.ts";
import { collectGarbage, maxRssEver, now, RssSampler } from "./measure.ts";
import { fmtBytes, fmtMs, type GroupResult, printGroup, type RunInfo, writeResults } from "./table.ts";

interface SizedCase {
  group: { id: string; title: string; description: string };
  run: (fx: Fixture, ctx: BenchContext) => Promise<CaseResult>;
}

const SIZED: SizedCase[] = [durableUpdate, concurrentWriters, open, traversal, compaction, http];
const ORDER = [
  ...SIZED.map((c) => c.group.id),
  cache.group.id,
  changeFeed.group.id,
  edge.group.id,
  dashboard.group.id,
  hugeGraph.group.id,
];

const benchDir = fileURLToPath(new URL("..", import.meta.url));
const sizes = (process.env.BENCH_SIZES ?? "10000,100000")
  .split(",")
  .map((s) => Number(s.trim().replaceAll("_", "")))
  .filter((n) => Number.isInteger(n) && n > 0);
const huge = process.env.BENCH_HUGE === "1";
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",").map((s) => s.trim())) : null;
const root = process.env.BENCH_DIR ?? join(benchDir, ".data", `run-${process.pid}`);
const resultsFile = process.env.BENCH_RESULTS ?? join(benchDir, "RESULTS.md");

const started = now();
const log = (message: string) => {
  const rss = fmtBytes(process.memoryUsage.rss());
  process.stderr.write(`[bench ${((now() - started) / 1000).toFixed(1)}s, rss ${rss}] ${message}\n`);
};
const ctx: BenchContext = { root, log };

const cleanup = () => rmSync(root, { recursive: true, force: true });
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  if (sizes.length === 0) throw new Error(`BENCH_SIZES has no valid size: ${process.env.BENCH_SIZES}`);
  if (!(globalThis as { gc?: unknown }).gc)
    log("note: run node with --expose-gc to free memory between groups");
  mkdirSync(root, { recursive: true });
  const run: RunInfo = { date: new Date(), sizes, huge, loadAtStart: os.loadavg()[0]! };
  const sampler = new RssSampler();
  const results = new Map<string, GroupResult>();
  const resultOf = (g: SizedCase["group"]): GroupResult => {
    let r = results.get(g.id);
    if (!r) {
      r = { ...g, rows: [], notes: [] };
      results.set(g.id, r);
    }
    return r;
  };
  const wanted = (id: string) => !only || only.has(id);

  for (const nodes of sizes) {
    if (!SIZED.some((c) => wanted(c.group.id))) break;
    let fx: Fixture | null = await createFixture(ctx, nodes);
    log(
      `fixture ${fx.size}: generated in ${fmtMs(fx.generateMs)}, seeded through GraphStore.open in ${fmtMs(fx.seedMs)}`,
    );
    for (const c of SIZED) {
      if (!wanted(c.group.id)) continue;
      const result = resultOf(c.group);
      const t0 = now();
      try {
        const { rows, notes } = await c.run(fx, ctx);
        result.rows.push(...rows);
        result.notes.push(...notes);
      } catch (err) {
        const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        result.notes.push(`${fx.size}: **failed**: ${msg}`);
        log(`${c.group.id} at ${fx.size} failed: ${err instanceof Error ? err.stack : msg}`);
      }
      const [l1, l5] = os.loadavg();
      result.notes.push(
        `${fx.size}: ran ${fmtMs(now() - t0)}; load average when done ${l1!.toFixed(2)} (1 min), ` +
          `${l5!.toFixed(2)} (5 min) on ${os.cpus().length} cores`,
      );
      log(`${c.group.id} at ${fx.size} done in ${fmtMs(now() - t0)}`);
      collectGarbage();
    }
    // Only when group 1 ran: a note alone would replace its RESULTS.md section with an empty table.
    if (wanted(durableUpdate.group.id)) {
      resultOf(durableUpdate.group).notes.push(
        `${fx.size}: fixture generated in ${fmtMs(fx.generateMs)}; seeding an empty storage through ` +
          `GraphStore.open(storage, { seed }) took ${fmtMs(fx.seedMs)}`,
      );
    }
    removeDir(fx.templateDir);
    fx = null;
    collectGarbage();
  }

  /**
   * Runs a group that BENCH_SIZES does not size, once: its rows and notes, or the failure, and
   * the machine and load around it (a section kept from an earlier run keeps its own).
   */
  const runOnce = async (
    group: SizedCase["group"],
    measuredWith: string,
    run: () => Promise<CaseResult>,
  ): Promise<void> => {
    const result = resultOf(group);
    result.measuredWith = measuredWith;
    const t0 = now();
    const loadBefore = os.loadavg()[0]!;
    try {
      const { rows, notes } = await run();
      result.rows.push(...rows);
      result.notes.push(...notes);
    } catch (err) {
      result.notes.push(`**failed**: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      log(`${group.id} failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
    const [l1, l5] = os.loadavg();
    const cpus = os.cpus();
    result.notes.push(
      `ran ${fmtMs(now() - t0)} on ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}); load average ` +
        `${loadBefore.toFixed(2)} at the start, ${l1!.toFixed(2)} when done (1 min), ${l5!.toFixed(2)} (5 min)`,
    );
    collectGarbage();
  };

  if (wanted(cache.group.id)) await runOnce(cache.group, "independent of BENCH_SIZES", () => cache.run(ctx));
  if (wanted(changeFeed.group.id))
    await runOnce(changeFeed.group, "independent of BENCH_SIZES", () => changeFeed.run(ctx));
  // Its own sizes (1k and 100k, BENCH_EDGE_SIZES), against wrangler dev.
  if (wanted(edge.group.id)) {
    const sizes = process.env.BENCH_EDGE_SIZES ?? "1000,100000";
    await runOnce(edge.group, `local wrangler dev, sizes ${sizes}`, () => edge.run(ctx));
  }
  // Its own sizes (1k, 5k and 100k, BENCH_DASHBOARD_SIZES), in headless Chromium.
  if (wanted(dashboard.group.id)) {
    const sizes = process.env.BENCH_DASHBOARD_SIZES ?? "1000,5000,100000";
    await runOnce(dashboard.group, `headless Chromium, sizes ${sizes}`, () => dashboard.run(ctx));
  }
  if (huge && wanted(hugeGraph.group.id)) {
    const nodes = process.env.BENCH_HUGE_NODES ?? 1_000_000;
    await runOnce(hugeGraph.group, `BENCH_HUGE=1, BENCH_HUGE_NODES=${nodes}`, () =>
      hugeGraph.run(ctx, sampler),
    );
  }

  const groups = ORDER.map((id) => results.get(id)).filter((g): g is GroupResult => g !== undefined);
  for (const g of groups) printGroup(g, run);
  writeResults(resultsFile, groups, run, ORDER);
  await sampler.stop();
  log(`wrote ${resultsFile}; total ${fmtMs(now() - started)}, peak RSS ${fmtBytes(maxRssEver())}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
