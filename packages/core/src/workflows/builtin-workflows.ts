import type { ChangeSource } from "../changes/change-source.ts";
import { assertFredUnits } from "../data/fred-client.ts";
import type { MarketData } from "../data/market-data.ts";
import { NotFoundError } from "../errors/errors.ts";
import type { BatchOp } from "../format/schemas.ts";
import type { GraphNode, JsonObject } from "../graph/types.ts";
import type { GraphReader } from "../store/graph-reader.ts";
import { type AnyGraphService, graphReaderOf } from "../store/knowledge-graph-reader.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  type ActionContext,
  describeError,
  type WorkflowDefinition,
  type WorkflowEngine,
} from "./workflow-engine.ts";

/** What the built-in actions work on. */
export interface BuiltinWorkflowDeps {
  /** Where the actions write (either kind of store; read through `graphReaderOf`). */
  store: AnyGraphService;
  market: MarketData;
  clock?: Clock;
  /** Upstream calls in flight at once during a refresh. Default 4. */
  concurrency?: number;
  /** The regime node `regime_check` updates. Default `ECONOMIC_REGIME`. */
  regimeNode?: string;
}

/** The built-in workflows (SPEC section 5 lists them under `GET /api/workflows`). */
export const builtinWorkflows: readonly WorkflowDefinition[] = [
  {
    name: "refresh_indicators",
    description:
      "Every node with data.series_id gets its latest FRED value in data.value and its date in data.as_of.",
    steps: [{ agent: "data_harvester", action: "refresh_indicators" }],
  },
  {
    name: "refresh_quotes",
    description:
      "Every stock node gets its current price, change and change_percent (Financial Modeling Prep).",
    steps: [{ agent: "data_harvester", action: "refresh_quotes" }],
  },
  {
    name: "regime_check",
    description:
      "Evaluates the patterns; when a REGIME_SHIFT pattern from the current regime triggers, " +
      "ECONOMIC_REGIME.data.current_state moves to its to_state.",
    steps: [{ agent: "pattern_spotter", action: "regime_check" }],
  },
  {
    name: "morning_briefing",
    description:
      "refresh_indicators, refresh_quotes and regime_check in order, then a summary. A failing step " +
      "does not stop the briefing: it is reported, and the run is partial.",
    steps: [
      { agent: "data_harvester", action: "refresh_indicators" },
      { agent: "data_harvester", action: "refresh_quotes" },
      { agent: "pattern_spotter", action: "regime_check" },
      { agent: "claude", action: "summarize_briefing" },
    ],
    onError: "continue",
  },
];

/** Registers the built-in actions and workflows on `engine`. */
export function registerBuiltinWorkflows(engine: WorkflowEngine, deps: BuiltinWorkflowDeps): WorkflowEngine {
  const clock = deps.clock ?? systemClock;
  const concurrency = deps.concurrency ?? 4;
  const regimeNode = deps.regimeNode ?? "ECONOMIC_REGIME";
  const graph: GraphAccess = { store: deps.store, reader: graphReaderOf(deps.store) };
  engine.actions
    .register("data_harvester", "refresh_indicators", (_params, context) =>
      refreshIndicators(withSource(graph, context), deps.market, concurrency),
    )
    .register("data_harvester", "refresh_quotes", (_params, context) =>
      refreshQuotes(withSource(graph, context), deps.market, concurrency),
    )
    .register("pattern_spotter", "regime_check", (_params, context) =>
      regimeCheck(withSource(graph, context), regimeNode, clock),
    )
    .register("claude", "summarize_briefing", (_params, context) =>
      summarizeBriefing(graph.reader, regimeNode, context),
    );
  for (const workflow of builtinWorkflows) engine.register(workflow);
  return engine;
}

/**
 * The store the actions write to and how they read it: by id, by page and by index, never the
 * whole graph at once (the Durable Object's store keeps it in tables, not in memory).
 */
interface GraphAccess {
  store: AnyGraphService;
  reader: GraphReader;
  /** Recorded with every write: `workflow:<name>` of the run, or `cron` (scheduled). */
  audit?: { source: ChangeSource; actor?: string };
}

/**
 * The access of one run: its writes are recorded as `workflow:<name>`, or, for a run the
 * schedule started, as `cron` with the workflow as its actor (`workflow:<name>`).
 */
function withSource(graph: GraphAccess, context: ActionContext): GraphAccess {
  const workflow = `workflow:${context.workflow}` as const;
  return {
    ...graph,
    audit: context.trigger === "schedule" ? { source: "cron", actor: workflow } : { source: workflow },
  };
}

/** Every node of a listing (`type` filter or none), page by page, kept when `keep` says so. */
async function collectNodes(
  reader: GraphReader,
  keep: (node: GraphNode) => boolean,
  type?: string,
): Promise<GraphNode[]> {
  const kept: GraphNode[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.listNodes({ type, limit: 1000, cursor });
    for (const node of page.items) if (keep(node)) kept.push(node);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return kept;
}

interface Failure extends JsonObject {
  id: string;
  code: string;
  error: string;
}

/**
 * The shared shape of both refreshes: fetch for every target (bounded concurrency), patch the
 * nodes whose data changed in ONE batch (one journal record, durable before the step completes),
 * and report what changed, what was unchanged, what was stale and what failed. If nothing could
 * be fetched at all, the first error fails the step.
 */
async function refresh(
  { store, reader, audit }: GraphAccess,
  targets: readonly GraphNode[],
  concurrency: number,
  fetch: (node: GraphNode) => Promise<{ patch: JsonObject; stale: boolean }>,
): Promise<JsonObject> {
  const outcomes = await mapLimit(targets, concurrency, async (node) => {
    try {
      return { node, ...(await fetch(node)) };
    } catch (error) {
      return { node, error };
    }
  });
  const failed: Failure[] = [];
  const stale: string[] = [];
  const ops: BatchOp[] = [];
  let unchanged = 0;
  let firstError: unknown;
  for (const outcome of outcomes) {
    if ("error" in outcome) {
      firstError ??= outcome.error;
      failed.push({ id: outcome.node.id, ...describeError(outcome.error) });
      continue;
    }
    if (outcome.stale) stale.push(outcome.node.id);
    const current = await reader.getNode(outcome.node.id);
    if (!current) continue; // deleted while we fetched: nothing to refresh
    if (Object.entries(outcome.patch).every(([k, v]) => current.data[k] === v)) unchanged++;
    else ops.push({ op: "patch_node", id: current.id, data: outcome.patch });
  }
  if (targets.length > 0 && failed.length === targets.length) throw firstError;
  const { seq } = ops.length > 0 ? await store.applyBatch(ops, audit) : { seq: await reader.seq() };
  return { updated: ops.map((op) => op.id), unchanged, stale, failed, seq };
}

/** `refresh_indicators`: `data.value`/`data.as_of` from FRED for every node with `data.series_id`. */
async function refreshIndicators(
  graph: GraphAccess,
  market: MarketData,
  concurrency: number,
): Promise<JsonObject> {
  // Listings come in id order.
  const targets = await collectNodes(graph.reader, (n) => typeof n.data.series_id === "string");
  if (targets.length > 0) market.fred.assertConfigured();
  return refresh(graph, targets, concurrency, async (node) => {
    const units = typeof node.data.units === "string" ? node.data.units : "lin";
    assertFredUnits(units);
    const r = await market.fredSeries(node.data.series_id as string, { units });
    // FRED reports counts (ICSA: 225000); a node whose unit is "thousands" reasons in thousands
    // (`INITIAL_CLAIMS > 300`), so the value is scaled to the node's unit.
    const value = node.data.unit === "thousands" ? r.value / 1000 : r.value;
    return { patch: { value, as_of: r.date }, stale: r.stale };
  });
}

/** `refresh_quotes`: `price`/`change`/`change_percent`/`as_of` for every `stock` node. */
async function refreshQuotes(
  graph: GraphAccess,
  market: MarketData,
  concurrency: number,
): Promise<JsonObject> {
  const targets = await collectNodes(graph.reader, () => true, "stock");
  if (targets.length > 0) market.quotes.assertConfigured();
  return refresh(graph, targets, concurrency, async (node) => {
    const symbol = typeof node.data.symbol === "string" ? node.data.symbol : node.id;
    const q = await market.quote(symbol);
    return {
      patch: { price: q.price, change: q.change, change_percent: q.change_percent, as_of: q.timestamp },
      stale: q.stale,
    };
  });
}

/**
 * `regime_check`: evaluates every pattern. Among triggered `REGIME_SHIFT` patterns whose
 * `from_state` is the current regime (or that name none) and whose `to_state` is a state the
 * regime node knows, the most confident (then the first by id) moves the regime. No shift, no write.
 */
async function regimeCheck(
  { store, reader, audit }: GraphAccess,
  regimeId: string,
  clock: Clock,
): Promise<JsonObject> {
  const regime = await reader.getNode(regimeId);
  if (!regime) throw new NotFoundError(`no regime node ${regimeId}`);
  const current = typeof regime.data.current_state === "string" ? regime.data.current_state : null;
  const states = Array.isArray(regime.data.states) ? regime.data.states : null;
  const triggered = (await reader.evaluatePatterns()).filter((e) => e.triggered);
  const candidates = triggered.filter((e) => e.type === "REGIME_SHIFT");
  const shifts = (
    await Promise.all(candidates.map(async (e) => ({ id: e.id, pattern: (await reader.getPattern(e.id))! })))
  )
    .filter(({ pattern }) => {
      const to = pattern.to_state;
      const from = pattern.from_state;
      return (
        typeof to === "string" &&
        (states === null || states.includes(to)) &&
        (from === undefined || from === current)
      );
    })
    .sort((a, b) => (b.pattern.confidence ?? 0) - (a.pattern.confidence ?? 0) || (a.id < b.id ? -1 : 1));
  const chosen = shifts[0];
  const next = chosen ? (chosen.pattern.to_state as string) : current;
  const changed = chosen !== undefined && next !== current;
  if (changed) {
    await store.patchNode(
      regimeId,
      {
        current_state: next,
        previous_state: current,
        changed_at: clock.now().toISOString(),
        changed_by: chosen.id,
      },
      audit,
    );
  }
  return {
    triggered: triggered.map((e) => e.id),
    regime: { previous: current, current: next, changed },
    shift_pattern: changed ? chosen.id : null,
  };
}

/** `summarize_briefing`: the briefing, from the steps before it and the graph as it now is. */
async function summarizeBriefing(
  reader: GraphReader,
  regimeId: string,
  context: ActionContext,
): Promise<JsonObject> {
  const resultOf = (action: string) => context.previous.find((s) => s.action === action)?.result;
  const counts = (action: string) => {
    const r = resultOf(action);
    if (!r) return { status: "not_run" };
    if (r.status !== "completed") return { status: r.status, error: r.error ?? null };
    const list = (k: string) => (Array.isArray(r[k]) ? (r[k] as unknown[]).length : 0);
    return { status: r.status, updated: list("updated"), stale: list("stale"), failed: list("failed") };
  };
  const regime = (await reader.getNode(regimeId))?.data.current_state ?? null;
  const check = resultOf("regime_check");
  const triggered = Array.isArray(check?.triggered) ? (check.triggered as string[]) : [];
  const changed = (check?.regime as { changed?: boolean } | undefined)?.changed === true;
  const indicators = counts("refresh_indicators");
  const quotes = counts("refresh_quotes");
  const headline =
    `Regime ${String(regime)}${changed ? " (changed)" : ""}; ` +
    `${"updated" in indicators ? indicators.updated : 0} indicators and ` +
    `${"updated" in quotes ? quotes.updated : 0} quotes updated; ` +
    `${triggered.length} pattern${triggered.length === 1 ? "" : "s"} triggered` +
    (triggered.length > 0 ? `: ${triggered.join(", ")}` : "");
  return { headline, regime, regime_changed: changed, indicators, quotes, triggered_patterns: triggered };
}

/** `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
