import { describe, expect, it } from "vitest";
import { UpstreamError } from "../errors/errors.ts";
import { WorkflowHistory } from "../history/workflow-history.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { ActionRegistry, WorkflowEngine } from "./workflow-engine.ts";

function engineWith(onError: "stop" | "continue") {
  const clock = new ManualClock("2026-05-04T07:00:00.000Z");
  let t = 0;
  let ids = 0;
  const history = new WorkflowHistory(new MemoryStorage());
  const seen: Array<{ step: number; previous: number; params: unknown }> = [];
  const actions = new ActionRegistry()
    .register("a", "ok", (params, ctx) => {
      t += 5;
      seen.push({ step: ctx.step, previous: ctx.previous.length, params });
      return { done: true };
    })
    .register("b", "boom", () => {
      t += 2;
      throw new UpstreamError("FRED", "FRED answered HTTP 500");
    })
    .register("c", "crash", () => {
      throw new Error("/secret/path/to/file exploded");
    });
  const engine = new WorkflowEngine({
    history,
    actions,
    clock,
    elapsed: () => t,
    runId: () => `run_${++ids}`,
  });
  engine.register({
    name: "flow",
    description: "ok, boom, ok",
    steps: [
      { agent: "a", action: "ok", params: { x: 1 } },
      { agent: "b", action: "boom" },
      { agent: "a", action: "ok" },
    ],
    onError,
  });
  return { engine, history, seen };
}

describe("WorkflowEngine", () => {
  it("runs steps in order and records each with status, result and duration (SPEC run record)", async () => {
    const { engine, history } = engineWith("stop");
    engine.register({ name: "happy", description: "one step", steps: [{ agent: "a", action: "ok" }] });
    const record = await engine.run("happy");
    expect(record).toEqual({
      id: "run_1",
      workflow: "happy",
      timestamp: "2026-05-04T07:00:00.000Z",
      status: "completed",
      duration_ms: 5,
      steps: [
        { step: 1, agent: "a", action: "ok", result: { status: "completed", done: true }, duration_ms: 5 },
      ],
    });
    expect(await history.list()).toEqual([record]);
  });

  it("stops at a failing step by default, skips the rest, and still appends the run", async () => {
    const { engine, history, seen } = engineWith("stop");
    const record = await engine.run("flow");
    expect(record.status).toBe("failed");
    expect(record.steps.map((s) => s.result.status)).toEqual(["completed", "failed", "skipped"]);
    expect(record.steps[1]!.result).toEqual({
      status: "failed",
      error: "FRED answered HTTP 500",
      code: "upstream_error",
    });
    expect(record.steps[1]!.duration_ms).toBe(2);
    expect(seen).toEqual([{ step: 1, previous: 0, params: { x: 1 } }]);
    expect((await history.list())[0]).toEqual(record);
  });

  it("continues past a failing step when the workflow says so (status partial)", async () => {
    const { engine, seen } = engineWith("continue");
    const record = await engine.run("flow");
    expect(record.status).toBe("partial");
    expect(record.steps.map((s) => s.result.status)).toEqual(["completed", "failed", "completed"]);
    expect(seen[1]).toEqual({ step: 3, previous: 2, params: {} });
  });

  it("never echoes a foreign error's message (it may hold paths or keys)", async () => {
    const { engine } = engineWith("stop");
    engine.register({ name: "crashy", description: "", steps: [{ agent: "c", action: "crash" }] });
    const record = await engine.run("crashy");
    expect(record.steps[0]!.result).toEqual({
      status: "failed",
      error: "internal error (Error)",
      code: "internal_error",
    });
  });

  it("lists workflows and refuses unknown names, duplicates and unknown actions", async () => {
    const { engine } = engineWith("stop");
    expect(engine.list()).toEqual([
      {
        name: "flow",
        description: "ok, boom, ok",
        steps: [
          { agent: "a", action: "ok" },
          { agent: "b", action: "boom" },
          { agent: "a", action: "ok" },
        ],
      },
    ]);
    await expect(engine.run("nope")).rejects.toMatchObject({ code: "not_found" });
    expect(() =>
      engine.register({ name: "flow", description: "", steps: [{ agent: "a", action: "ok" }] }),
    ).toThrow(/already registered/);
    expect(() =>
      engine.register({ name: "x", description: "", steps: [{ agent: "a", action: "missing" }] }),
    ).toThrow(/no action/);
    expect(() =>
      engine.register({ name: "Bad Name", description: "", steps: [{ agent: "a", action: "ok" }] }),
    ).toThrow();
    expect(() => engine.actions.register("a", "ok", () => ({}))).toThrow(/already registered/);
  });
});
