import { describe, expect, it } from "vitest";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { WorkflowHistory } from "./workflow-history.ts";

const run = (workflow: string, i: number) => ({
  id: `run_${i}`,
  workflow,
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  status: "completed",
  duration_ms: i,
  steps: [{ step: 1, agent: "claude", action: "greet", result: { status: "completed" }, duration_ms: 1 }],
});

describe("WorkflowHistory", () => {
  it("appends runs and lists them newest first, filtered by workflow", async () => {
    const history = new WorkflowHistory(new MemoryStorage());
    for (let i = 0; i < 6; i++) await history.append(run(i % 2 ? "value_scan" : "regime_check", i));
    expect((await history.list()).map((r) => r.id)).toEqual([
      "run_5",
      "run_4",
      "run_3",
      "run_2",
      "run_1",
      "run_0",
    ]);
    expect((await history.list({ workflow: "value_scan" })).map((r) => r.id)).toEqual([
      "run_5",
      "run_3",
      "run_1",
    ]);
    expect((await history.list({ workflow: "value_scan", limit: 2 })).map((r) => r.id)).toEqual([
      "run_5",
      "run_3",
    ]);
  });

  it("keeps only the newest runs, oldest first on disk, and persists them", async () => {
    const storage = new MemoryStorage();
    const history = new WorkflowHistory(storage, { limit: 100 });
    await Promise.all(Array.from({ length: 130 }, (_, i) => history.append(run("w", i))));
    const onDisk = JSON.parse(bytesToText((await storage.get("workflow_history.json"))!.body));
    expect(onDisk).toHaveLength(100);
    expect(onDisk[0].id).toBe("run_30");
    expect(onDisk[99].id).toBe("run_129");
    expect((await new WorkflowHistory(storage).list({ limit: 1 }))[0]!.id).toBe("run_129");
  });

  it("loads a Python DawsOS history as it is, unknown fields included", async () => {
    const storage = new MemoryStorage();
    const python = [
      {
        workflow: "morning_briefing",
        timestamp: "2025-10-01T15:51:58.183193",
        steps: [{ step: 1, agent: "claude", action: "greet_and_context", result: { status: "completed" } }],
      },
      {
        workflow: "value_scan",
        timestamp: "2025-10-01T20:13:16.244956",
        steps: [
          { step: 1, agent: "data_harvester", action: "fetch_fundamentals", result: { value_stocks: [] } },
        ],
        extra: 1,
      },
    ];
    await storage.put("workflow_history.json", JSON.stringify(python, null, 2));
    const history = new WorkflowHistory(storage);
    expect(await history.all()).toEqual(python);
    await history.append(run("w", 1));
    expect((await history.all()).slice(0, 2)).toEqual(python);
  });

  it("rejects an invalid run without changing anything, and reports a damaged file", async () => {
    const storage = new MemoryStorage();
    const history = new WorkflowHistory(storage);
    await expect(history.append({ workflow: "", timestamp: "t", steps: [] })).rejects.toMatchObject({
      code: "validation_error",
    });
    expect(await storage.get("workflow_history.json")).toBeNull();
    await storage.put("workflow_history.json", "{oops");
    await expect(history.list()).rejects.toMatchObject({
      code: "malformed_json",
      file: "workflow_history.json",
    });
    await storage.put("workflow_history.json", '{"not":"an array"}');
    await expect(history.list()).rejects.toMatchObject({ code: "invalid_document" });
  });
});
