/**
 * Issue 6: each built-in workflow, run over HTTP against the shipped seed graph and the fake
 * FRED/FMP servers, changes exactly the nodes it should, through the durable write path; a
 * failing step is recorded; the history keeps the last 100 runs across 250 runs and a restart.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GraphStore, type WorkflowRunRecord } from "@dawsos/core";
import { FsStorage } from "@dawsos/storage-fs";
import { describe, expect, it } from "vitest";
import type { Harness } from "./harness.ts";
import { useHarness } from "./suite.ts";

// Also forget the series and quotes a test served, so none carries over into the next test.
const { fred, fmp, harness, restart } = useHarness({ forgetData: true });

/** Every node's JSON by id, to diff before/after a run. */
function snapshot(h: Harness): Map<string, string> {
  return new Map([...h.store.graph.nodes()].map((n) => [n.id, JSON.stringify(n)]));
}

function changedIds(before: Map<string, string>, h: Harness): string[] {
  const after = snapshot(h);
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort();
}

/** FRED values for a regime that has overheated: CPI > 4 %, GDP > 3 %, unemployment < 4 %. */
const OVERHEATING: Record<string, string> = {
  A191RL1Q225SBEA: "3.4",
  "CPIAUCSL.pc1": "4.6",
  "PCEPILFE.pc1": "3.1",
  UNRATE: "3.8",
  ICSA: "231000",
};

/** Gives the fake FRED a value for every series the seed graph names (units included). */
function serveEverySeries(h: Harness, values: Record<string, string> = OVERHEATING): string[] {
  const ids: string[] = [];
  for (const node of h.store.graph.nodes()) {
    const series = node.data.series_id;
    if (typeof series !== "string") continue;
    ids.push(node.id);
    const key = typeof node.data.units === "string" ? `${series}.${node.data.units}` : series;
    fred.set(key, ["2026-02-01", values[key] ?? "1.5"], ["2026-01-01", "1.4"]);
  }
  return ids.sort();
}

function serveEveryStock(h: Harness): string[] {
  const ids: string[] = [];
  for (const [i, node] of h.store.graph.nodesByType("stock").entries()) {
    ids.push(node.id);
    fmp.set(node.data.symbol as string, 100 + i, 1.5, 0.75);
  }
  return ids.sort();
}

async function run(h: Harness, name: string): Promise<WorkflowRunRecord> {
  const res = await h.post(`/api/workflows/${name}/run`);
  expect(res.status).toBe(200);
  return res.body as WorkflowRunRecord;
}

describe("built-in workflows on the seed graph", () => {
  it("lists the four built-ins with their steps", async () => {
    const h = await harness();
    const res = await h.get("/api/workflows");
    expect(res.status).toBe(200);
    expect((res.body as Array<{ name: string }>).map((w) => w.name)).toEqual([
      "morning_briefing",
      "refresh_indicators",
      "refresh_quotes",
      "regime_check",
    ]);
    expect((res.body as Array<{ name: string; steps: unknown }>)[0]).toMatchObject({
      name: "morning_briefing",
      steps: [
        { agent: "data_harvester", action: "refresh_indicators" },
        { agent: "data_harvester", action: "refresh_quotes" },
        { agent: "pattern_spotter", action: "regime_check" },
        { agent: "claude", action: "summarize_briefing" },
      ],
    });
  });

  it("refresh_indicators: every node with data.series_id, and only those, gets value and as_of", async () => {
    const h = await harness();
    const expected = serveEverySeries(h);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    const before = snapshot(h);
    const seqBefore = h.store.graph.seq;
    const record = await run(h, "refresh_indicators");
    expect(record).toMatchObject({ workflow: "refresh_indicators", status: "completed" });
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0]).toMatchObject({ step: 1, agent: "data_harvester", action: "refresh_indicators" });
    expect(record.steps[0]!.result).toMatchObject({ status: "completed", updated: expected, failed: [] });
    expect(changedIds(before, h)).toEqual(expected);
    // One batch: one journal record.
    expect(h.store.graph.seq).toBe(seqBefore + expected.length);
    expect(h.store.journal.records).toBe(1);
    const node = (id: string) => h.store.graph.getNode(id)!.data;
    expect(node("CPI")).toMatchObject({ value: 4.6, as_of: "2026-02-01", units: "pc1" });
    expect(node("GDP")).toMatchObject({ value: 3.4, as_of: "2026-02-01" });
    // ICSA is a count; the node reasons in thousands.
    expect(node("INITIAL_CLAIMS")).toMatchObject({ value: 231, as_of: "2026-02-01" });
    // The node's units transform was asked for.
    expect(fred.requests.find((r) => r.query.series_id === "CPIAUCSL")?.query.units).toBe("pc1");

    // A second run with nothing new upstream writes nothing.
    h.clock.advance(2 * 60 * 60_000);
    const again = await run(h, "refresh_indicators");
    expect(again.steps[0]!.result).toMatchObject({ updated: [], unchanged: expected.length });
    expect(h.store.graph.seq).toBe(seqBefore + expected.length);
  });

  it("refresh_indicators: the changes are durable (a reopened store sees them)", async () => {
    const h = await harness();
    serveEverySeries(h);
    await run(h, "refresh_indicators");
    // Read the directory while the writer is still open: the journal, not a clean shutdown, has them.
    const reader = await GraphStore.open(await FsStorage.open(h.dir), { readOnly: true });
    expect(reader.graph.getNode("UNEMPLOYMENT")!.data).toMatchObject({ value: 3.8, as_of: "2026-02-01" });
    await reader.close();
  });

  it("refresh_quotes: every stock node, and only those, gets price/change/change_percent", async () => {
    const h = await harness();
    const expected = serveEveryStock(h);
    fmp.set("SPY", 1).set("QQQ", 1);
    const before = snapshot(h);
    const record = await run(h, "refresh_quotes");
    expect(record.status).toBe("completed");
    expect(record.steps[0]!.result).toMatchObject({ status: "completed", updated: expected, failed: [] });
    expect(changedIds(before, h)).toEqual(expected);
    expect(h.store.graph.getNode("AAPL")!.data).toMatchObject({
      symbol: "AAPL",
      change: 1.5,
      change_percent: 0.75,
      as_of: "2026-01-01T12:00:00.000Z",
    });
    expect(typeof h.store.graph.getNode("AAPL")!.data.price).toBe("number");
    // Index nodes carry symbols too, but they are not stocks.
    expect(fmp.count("SPY") + fmp.count("QQQ")).toBe(0);
  });

  it("regime_check: nothing changes on the seed values; an overheating shift moves ECONOMIC_REGIME only", async () => {
    const h = await harness();
    let before = snapshot(h);
    const calm = await run(h, "regime_check");
    expect(calm.steps[0]!.result).toMatchObject({
      status: "completed",
      regime: { previous: "GOLDILOCKS", current: "GOLDILOCKS", changed: false },
      shift_pattern: null,
    });
    expect(calm.steps[0]!.result.triggered).toContain("goldilocks_confirmation");
    expect(changedIds(before, h)).toEqual([]);

    // Overheating data arrives (through the graph's normal write path), then the check.
    await h.store.applyBatch([
      { op: "patch_node", id: "CPI", data: { value: 4.6 } },
      { op: "patch_node", id: "GDP", data: { value: 3.4 } },
      { op: "patch_node", id: "UNEMPLOYMENT", data: { value: 3.8 } },
    ]);
    before = snapshot(h);
    const shift = await run(h, "regime_check");
    expect(shift.steps[0]!.result).toMatchObject({
      regime: { previous: "GOLDILOCKS", current: "OVERHEATING", changed: true },
      shift_pattern: "goldilocks_to_overheating",
    });
    expect(changedIds(before, h)).toEqual(["ECONOMIC_REGIME"]);
    expect(h.store.graph.getNode("ECONOMIC_REGIME")!.data).toMatchObject({
      current_state: "OVERHEATING",
      previous_state: "GOLDILOCKS",
      changed_by: "goldilocks_to_overheating",
      changed_at: "2026-03-02T12:00:00.000Z",
    });
    // From OVERHEATING, the Goldilocks-based shifts no longer apply: a rerun changes nothing.
    before = snapshot(h);
    await run(h, "regime_check");
    expect(changedIds(before, h)).toEqual([]);
  });

  it("morning_briefing: the three in order plus a summary, changing exactly indicators, stocks and the regime", async () => {
    const h = await harness();
    const indicators = serveEverySeries(h);
    const stocks = serveEveryStock(h);
    const before = snapshot(h);
    const record = await run(h, "morning_briefing");
    expect(record.status).toBe("completed");
    expect(record.steps.map((s) => [s.step, s.action, s.result.status])).toEqual([
      [1, "refresh_indicators", "completed"],
      [2, "refresh_quotes", "completed"],
      [3, "regime_check", "completed"],
      [4, "summarize_briefing", "completed"],
    ]);
    expect(changedIds(before, h)).toEqual([...indicators, ...stocks, "ECONOMIC_REGIME"].sort());
    expect(h.store.graph.getNode("ECONOMIC_REGIME")!.data.current_state).toBe("OVERHEATING");
    expect(record.steps[3]!.result).toMatchObject({
      regime: "OVERHEATING",
      regime_changed: true,
      indicators: { status: "completed", updated: indicators.length },
      quotes: { status: "completed", updated: stocks.length },
    });
    expect(String(record.steps[3]!.result.headline)).toMatch(/^Regime OVERHEATING \(changed\)/);
    expect(typeof record.duration_ms).toBe("number");
    expect(record.id).toMatch(/^run_/);
    const history = (await h.get("/api/workflows/history?workflow=morning_briefing"))
      .body as WorkflowRunRecord[];
    expect(history).toEqual([record]);
  });
});

describe("failures are recorded", () => {
  it("a failing step (FRED down, nothing cached) fails the run, changes nothing, and is in the history", async () => {
    fred.behaviour.failWith = 500;
    const h = await harness();
    const before = snapshot(h);
    const record = await run(h, "refresh_indicators");
    expect(record.status).toBe("failed");
    expect(record.steps[0]!.result).toMatchObject({ status: "failed", code: "upstream_error" });
    expect(String(record.steps[0]!.result.error)).toMatch(/FRED answered HTTP 500/);
    expect(changedIds(before, h)).toEqual([]);
    const onDisk = JSON.parse(
      await readFile(join(h.dir, "workflow_history.json"), "utf8"),
    ) as WorkflowRunRecord[];
    expect(onDisk.at(-1)).toEqual(record);
  });

  it("one series failing does not fail the step: it is listed, the others are written", async () => {
    const h = await harness();
    const all = serveEverySeries(h);
    fred.series.delete("DTWEXBGS");
    const record = await run(h, "refresh_indicators");
    expect(record.status).toBe("completed");
    expect(record.steps[0]!.result).toMatchObject({
      updated: all.filter((id) => id !== "DOLLAR_INDEX"),
      failed: [{ id: "DOLLAR_INDEX", code: "not_found" }],
    });
  });

  it("morning_briefing without an FMP key: refresh_quotes fails, the rest runs, the run is partial", async () => {
    const h = await harness({ fmpKey: false });
    serveEverySeries(h);
    const stocksBefore = h.store.graph.nodesByType("stock").map((n) => JSON.stringify(n));
    const record = await run(h, "morning_briefing");
    expect(record.status).toBe("partial");
    expect(record.steps.map((s) => s.result.status)).toEqual([
      "completed",
      "failed",
      "completed",
      "completed",
    ]);
    expect(record.steps[1]!.result).toMatchObject({ status: "failed", code: "not_configured" });
    expect(record.steps[3]!.result).toMatchObject({ quotes: { status: "failed" } });
    expect(h.store.graph.nodesByType("stock").map((n) => JSON.stringify(n))).toEqual(stocksBefore);
    expect(fmp.count()).toBe(0);
  });

  it("an unknown workflow is 404", async () => {
    const h = await harness();
    expect((await h.post("/api/workflows/nope/run")).status).toBe(404);
  });
});

describe("workflow history", () => {
  it("keeps the last 100 runs across 250 runs and a restart", async () => {
    // Without an FMP key refresh_quotes fails at once: a cheap failing run to mix in.
    let h = await harness({ fmpKey: false });
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      h.clock.advance(1_000);
      const name = i % 5 === 0 ? "refresh_quotes" : "regime_check";
      ids.push((await h.workflows.run(name)).id);
    }
    const onDisk = JSON.parse(
      await readFile(join(h.dir, "workflow_history.json"), "utf8"),
    ) as WorkflowRunRecord[];
    expect(onDisk.map((r) => r.id)).toEqual(ids.slice(150));

    h = await restart(h, { fmpKey: false });
    const listed = (await h.get("/api/workflows/history")).body as WorkflowRunRecord[];
    expect(listed.map((r) => r.id)).toEqual(ids.slice(150).reverse());
    const failed = (await h.get("/api/workflows/history?workflow=refresh_quotes&limit=3"))
      .body as WorkflowRunRecord[];
    expect(failed).toHaveLength(3);
    expect(failed.every((r) => r.workflow === "refresh_quotes" && r.status === "failed")).toBe(true);
    expect(failed[0]!.id).toBe(ids[245]);
    // One more run after the restart pushes the oldest out.
    const next = await h.workflows.run("regime_check");
    const after = (await h.get("/api/workflows/history?limit=1000")).body as WorkflowRunRecord[];
    expect(after).toHaveLength(100);
    expect(after[0]!.id).toBe(next.id);
    expect(after.at(-1)!.id).toBe(ids[151]);
  });

  it("validates the history query", async () => {
    const h = await harness();
    expect((await h.get("/api/workflows/history?limit=0")).status).toBe(400);
    expect((await h.get("/api/workflows/history?limit=abc")).status).toBe(400);
  });
});
