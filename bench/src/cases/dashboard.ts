/**
 * Group "dashboard" (issue 13, large graphs for people): the dashboard's first meaningful paint
 * in headless Chromium, served by the built Node server over a storage seeded with a generated
 * graph, at 1k, 5k (the full-graph limit) and 100k nodes. Runs once per `pnpm bench`, with its
 * own sizes (`BENCH_DASHBOARD_SIZES`).
 *
 * First meaningful paint: navigation start → the `dawsos:graph-painted` mark, which the graph tab
 * sets after the frame that first shows it: the full view with its canvas drawn and its counts,
 * or, above the limit, the neighbourhood view with the graph's statistics and its search box.
 * At 100k the old path (the whole document downloaded, built and drawn) is forced with
 * `?full_graph_limit=` and given a timeout.
 */
import os from "node:os";
import type { Browser } from "playwright-core";
import { launchChromium } from "../../../tests/browser/support/chromium.ts";
import { DashboardServer, ensureBuilt } from "../../../tests/browser/support/dashboard-server.ts";
import { type Expansion, loadDashboard, MARKS, type PageLoad, searchAndExpand } from "../dashboard-page.ts";
import {
  type BenchContext,
  type CaseResult,
  createFixture,
  type Fixture,
  removeDir,
  storageCopy,
} from "../fixture.ts";
import { now, summarize } from "../measure.ts";
import { fmtBytes, fmtMs, fmtRatio, type Row, statsRow } from "../table.ts";

const SIZES = (process.env.BENCH_DASHBOARD_SIZES ?? "1000,5000,100000")
  .split(",")
  .map((s) => Number(s.trim().replaceAll("_", "")))
  .filter((n) => Number.isInteger(n) && n > 0);
/** Cold page loads per size (each in a new browser context). */
const LOADS = positive(process.env.BENCH_DASHBOARD_LOADS, 5);
/** How long the forced whole-graph load at 100k may take before it is reported as "> N s". */
const FULL_TIMEOUT_MS = positive(process.env.BENCH_DASHBOARD_FULL_TIMEOUT_MS, 60_000);
const LOAD_TIMEOUT_MS = 60_000;
/** The dashboard's default full-graph limit (apps/dashboard/src/graph/graph-source.ts). */
const FULL_GRAPH_LIMIT = 5_000;
const TARGET_MS = 5_000;
const TARGET_NODES = 100_000;
/** A hub of the generated graph (src/generate.ts): thousands of neighbours at 100k. */
const HUB = "ECONOMIC_REGIME";

export const group = {
  id: "dashboard",
  title: "Dashboard: first meaningful paint in headless Chromium",
  description:
    "The built Node server (apps/node-server/dist, no token) over a storage seeded with the generated graph " +
    "(3 edges per node), and the dashboard it serves opened in headless Chromium (Debian's, launched as the " +
    "browser tests launch it: `--disable-gpu`, so WebGL is software-rendered) at 1280×800, each load in a new " +
    "browser context (a cold cache, as a first visit). First meaningful paint: navigation start → the " +
    "`dawsos:graph-painted` mark, set after the frame that first shows the graph tab: within the full-graph " +
    `limit (${FULL_GRAPH_LIMIT.toLocaleString("en-US")} nodes by default) the whole graph downloaded, built ` +
    "and drawn with its counts; above it the neighbourhood view with the graph's statistics and its search " +
    "box (nothing of the graph downloaded). Peers in the same run: the full view at 1k and at the limit, " +
    "and at 100k the old path, the whole graph forced with `?full_graph_limit=`, stopped at a timeout. " +
    `Target (issue 13): first meaningful paint at ${TARGET_NODES.toLocaleString("en-US")} nodes ≤ ${fmtMs(TARGET_MS)}.`,
};

function positive(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return text !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

interface SizeResult {
  nodes: number;
  size: string;
  view: string;
  paint: number[];
  /** The median load, for its breakdown. */
  typical: PageLoad;
  forcedFull: PageLoad | null;
  expansions: Expansion[];
  hub: (Expansion & { degree: number }) | null;
}

export async function run(ctx: BenchContext): Promise<CaseResult> {
  ensureBuilt();
  const browser = await launchChromium();
  const results: SizeResult[] = [];
  const notes: string[] = [];
  try {
    notes.push(
      `Chromium ${browser.version()}; ${LOADS} cold loads per row; load average at the start ${os.loadavg()[0]!.toFixed(2)}`,
    );
    for (const nodes of SIZES) results.push(await measureSize(nodes, browser, ctx, notes));
    notes.push(
      "In the full view, sigma ready → painted is sigma drawing its first frames: WebGL in software " +
        "(headless Chromium with --disable-gpu) on the same 2 cores as the server and the bench, and the " +
        "ForceAtlas2 layout already running in its worker. The neighbourhood view creates no WebGL canvas " +
        "until a node is chosen.",
    );
  } finally {
    await browser.close();
  }
  return { rows: rowsOf(results), notes };
}

async function measureSize(
  nodes: number,
  browser: Browser,
  ctx: BenchContext,
  notes: string[],
): Promise<SizeResult> {
  let fx: Fixture | null = await createFixture(ctx, nodes);
  const dir = storageCopy(fx, ctx, `dashboard-${nodes}`);
  const degree = hubDegree(fx);
  const ids = fx.ids;
  const size = fx.size;
  removeDir(fx.templateDir);
  fx = null;
  const t0 = now();
  const server = await DashboardServer.start({ storageDir: dir, startTimeoutMs: 180_000 });
  const startMs = now() - t0;
  try {
    ctx.log(`dashboard ${size}: server up in ${fmtMs(startMs)}; ${LOADS} cold loads`);
    const loads: PageLoad[] = [];
    for (let i = 0; i < LOADS; i++) {
      const { load } = await loadDashboard(browser, server.baseUrl, LOAD_TIMEOUT_MS);
      if (load.paintMs === null)
        throw new Error(`no first meaningful paint within ${fmtMs(LOAD_TIMEOUT_MS)}`);
      loads.push(load);
    }
    const sorted = [...loads].sort((a, b) => a.paintMs! - b.paintMs!);
    const typical = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const view = typical.view ?? "unknown";
    notes.push(
      `${size}: ${view} view; the median load: ${breakdown(typical)}; server start-up ${fmtMs(startMs)}`,
    );
    if (view === "neighbourhood" && loads.some((l) => l.asked.includes("/api/graph")))
      throw new Error("the neighbourhood view asked for GET /api/graph");

    let forcedFull: PageLoad | null = null;
    const expansions: Expansion[] = [];
    let hub: SizeResult["hub"] = null;
    if (view === "neighbourhood") {
      ctx.log(`dashboard ${size}: search and expand`);
      const { page } = await loadDashboard(browser, server.baseUrl, LOAD_TIMEOUT_MS, true);
      try {
        // Five nodes spread over the graph, then the hub (its first batch of neighbours).
        for (let k = 1; k <= 5; k++)
          expansions.push(
            await searchAndExpand(page, ids[Math.floor((k * ids.length) / 6)]!, LOAD_TIMEOUT_MS),
          );
        if (degree > 0) hub = { ...(await searchAndExpand(page, HUB, LOAD_TIMEOUT_MS)), degree };
      } finally {
        await page.context().close();
      }
      ctx.log(`dashboard ${size}: the whole graph forced, timeout ${fmtMs(FULL_TIMEOUT_MS)}`);
      const forced = new URL(`?full_graph_limit=${nodes * 10}`, server.baseUrl).href;
      forcedFull = (await loadDashboard(browser, forced, FULL_TIMEOUT_MS)).load;
      notes.push(
        `${size}: the whole graph forced: ${forcedFull.paintMs === null ? `no paint within ${fmtMs(FULL_TIMEOUT_MS)}` : "painted"}; ${breakdown(forcedFull)}`,
      );
    }
    return { nodes, size, view, paint: loads.map((l) => l.paintMs!), typical, forcedFull, expansions, hub };
  } finally {
    await server.stop();
    removeDir(dir);
  }
}

/** When each part of a load was done, from the page's resource timings and marks. */
function breakdown(load: PageLoad): string {
  const parts: string[] = [];
  const api = load.resources.filter((r) => r.path.startsWith("/api/") || r.path === "/health");
  for (const r of api) parts.push(`${r.path} answered at ${fmtMs(r.endMs)} (${fmtBytes(r.bytes)})`);
  const built = load.marks[MARKS.built];
  const sigma = load.marks[MARKS.sigma];
  if (built !== undefined) parts.push(`graph model built at ${fmtMs(built)}`);
  if (sigma !== undefined) parts.push(`sigma ready at ${fmtMs(sigma)}`);
  if (load.paintMs !== null) parts.push(`painted at ${fmtMs(load.paintMs)}`);
  if (load.asked.includes("/api/graph") && !load.resources.some((r) => r.path === "/api/graph"))
    parts.push("GET /api/graph asked for, not received (or the page no longer answered)");
  const bytes = load.resources.reduce((sum, r) => sum + r.bytes, 0);
  parts.push(`${fmtBytes(bytes)} received in all`);
  return parts.join(", ");
}

/** How many distinct neighbours the hub has in the generated graph (0 when it is not there). */
function hubDegree(fx: Fixture): number {
  if (!(HUB in fx.doc.nodes)) return 0;
  const neighbours = new Set<string>();
  for (const edge of fx.doc.edges) {
    if (edge.from === HUB) neighbours.add(edge.to);
    else if (edge.to === HUB) neighbours.add(edge.from);
  }
  return neighbours.size;
}

function rowsOf(results: SizeResult[]): Row[] {
  const rows: Row[] = [];
  const smallest = results.find((r) => r.view === "full");
  for (const r of results) {
    const stats = summarize(r.paint);
    const targeted = r.nodes >= TARGET_NODES;
    const peer =
      smallest && smallest !== r
        ? {
            vsPeer: `${fmtRatio(stats.median / summarize(smallest.paint).median)} the ${smallest.size} full view`,
          }
        : {};
    rows.push(
      statsRow(`first meaningful paint, ${r.view} view (default)`, r.size, stats, {
        opsPerSec: undefined,
        ...peer,
        ...(targeted ? { target: `≤ ${fmtMs(TARGET_MS)}`, met: stats.median <= TARGET_MS } : {}),
      }),
    );
    if (r.forcedFull) {
      const full = r.forcedFull.paintMs;
      rows.push({
        name: "old path: the whole graph forced (?full_graph_limit=), first meaningful paint",
        size: r.size,
        median: full === null ? `> ${fmtMs(FULL_TIMEOUT_MS)}` : full,
        spread: "n=1",
        vsPeer:
          full === null
            ? `> ${fmtRatio(FULL_TIMEOUT_MS / stats.median)} the neighbourhood view`
            : `${fmtRatio(full / stats.median)} the neighbourhood view`,
      });
    }
    if (r.expansions.length > 0) {
      rows.push(
        statsRow(
          "neighbourhood: choose a search result → it and its neighbours drawn",
          r.size,
          summarize(r.expansions.map((e) => e.drawMs)),
          {
            opsPerSec: undefined,
          },
        ),
        statsRow(
          "neighbourhood: type an id → its result listed (with the 180 ms debounce)",
          r.size,
          summarize(r.expansions.map((e) => e.searchMs)),
          {
            opsPerSec: undefined,
          },
        ),
      );
    }
    if (r.hub) {
      rows.push({
        name: `neighbourhood: choose the hub ${HUB} (${r.hub.degree.toLocaleString("en-US")} neighbours) → first ${r.hub.shown - 1} drawn`,
        size: r.size,
        median: r.hub.drawMs,
        spread: "n=1",
      });
    }
  }
  return rows;
}
