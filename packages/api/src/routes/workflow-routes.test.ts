import {
  ActionRegistry,
  GraphStore,
  MemoryStorage,
  NotFoundError,
  SessionStore,
  WorkflowEngine,
  WorkflowHistory,
} from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";

async function setup(options: { workflows?: boolean; history?: boolean } = {}) {
  const storage = new MemoryStorage();
  const store = await GraphStore.open(storage, { seed: { version: 2, nodes: {} } });
  const history = new WorkflowHistory(storage);
  const actions = new ActionRegistry()
    .register("greeter", "greet", () => ({ greeting: "hello" }))
    .register("greeter", "fail", () => {
      throw new NotFoundError("nothing to greet");
    });
  const engine = new WorkflowEngine({ history, actions });
  engine.register({ name: "hello", description: "greets", steps: [{ agent: "greeter", action: "greet" }] });
  engine.register({
    name: "broken",
    description: "fails",
    steps: [
      { agent: "greeter", action: "fail" },
      { agent: "greeter", action: "greet" },
    ],
  });
  const app = createApp({
    store,
    sessions: new SessionStore(storage),
    storageKind: "memory",
    version: "test",
    ...(options.workflows === false ? {} : { workflows: engine }),
    ...(options.history === false ? {} : { history }),
  });
  const call = async (method: string, path: string) => {
    const res = await app.request(path, { method });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return { call };
}

describe("workflow routes", () => {
  it("list workflows with their steps", async () => {
    const { call } = await setup();
    expect(await call("GET", "/api/workflows")).toEqual({
      status: 200,
      body: [
        {
          name: "broken",
          description: "fails",
          steps: [
            { agent: "greeter", action: "fail" },
            { agent: "greeter", action: "greet" },
          ],
        },
        { name: "hello", description: "greets", steps: [{ agent: "greeter", action: "greet" }] },
      ],
    });
  });

  it("run a workflow: 200 with the SPEC run record, even when a step fails; 404 for an unknown name", async () => {
    const { call } = await setup();
    const ok = await call("POST", "/api/workflows/hello/run");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      workflow: "hello",
      status: "completed",
      steps: [
        { step: 1, agent: "greeter", action: "greet", result: { status: "completed", greeting: "hello" } },
      ],
    });
    expect(Object.keys(ok.body as object).sort()).toEqual(
      ["duration_ms", "id", "status", "steps", "timestamp", "workflow"].sort(),
    );
    const broken = await call("POST", "/api/workflows/broken/run");
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({
      status: "failed",
      steps: [
        { result: { status: "failed", code: "not_found", error: "nothing to greet" } },
        { result: { status: "skipped" } },
      ],
    });
    expect((await call("POST", "/api/workflows/nope/run")).status).toBe(404);
    expect((await call("GET", "/api/workflows/hello/run")).status).toBe(405);
  });

  it("serve the history newest first, filtered and limited", async () => {
    const { call } = await setup();
    await call("POST", "/api/workflows/hello/run");
    await call("POST", "/api/workflows/broken/run");
    await call("POST", "/api/workflows/hello/run");
    const all = (await call("GET", "/api/workflows/history")).body as Array<{ workflow: string }>;
    expect(all.map((r) => r.workflow)).toEqual(["hello", "broken", "hello"]);
    const hello = (await call("GET", "/api/workflows/history?workflow=hello&limit=1")).body as unknown[];
    expect(hello).toHaveLength(1);
  });

  it("exist only when their dependencies are given", async () => {
    const { call } = await setup({ workflows: false, history: false });
    expect((await call("GET", "/api/workflows")).status).toBe(404);
    expect((await call("POST", "/api/workflows/hello/run")).status).toBe(404);
    expect((await call("GET", "/api/workflows/history")).status).toBe(404);
  });
});
