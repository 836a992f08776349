import { describe, expect, it } from "vitest";
import { MarketData } from "../data/market-data.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { GraphStore } from "../store/graph-store.ts";
import { registerBuiltinWorkflows } from "./builtin-workflows.ts";
import { WorkflowEngine } from "./workflow-engine.ts";

describe("built-in workflows record where their writes came from", () => {
  it("a requested run as workflow:<name>, a scheduled one as cron with the workflow as actor", async () => {
    const store = await GraphStore.open(new MemoryStorage());
    const engine = registerBuiltinWorkflows(new WorkflowEngine({}), { store, market: MarketData.create({}) });
    // regime_check moves the regime node when a REGIME_SHIFT pattern from its state triggers;
    // this pattern always does, and one back makes the second run write too.
    await store.putNode("ECONOMIC_REGIME", { type: "regime", data: { current_state: "A" } });
    await store.putNode("X", { type: "stock", data: { price: 1 } });
    for (const [id, from, to] of [
      ["p_a_b", "A", "B"],
      ["p_b_a", "B", "A"],
    ] as const) {
      await store.putPattern(id, {
        type: "REGIME_SHIFT",
        trigger_conditions: ["X.data.price > 0"],
        confidence: 1,
        from_state: from,
        to_state: to,
      });
    }
    const before = store.graph.seq;

    await engine.run("regime_check");
    const requested = await store.changes.changesSince(before);
    expect(requested.items.length).toBeGreaterThan(0);
    for (const item of requested.items) {
      expect(item.source).toBe("workflow:regime_check");
      expect(item.actor).toBeUndefined();
    }

    await engine.run("regime_check", { trigger: "schedule" });
    const scheduled = await store.changes.changesSince(requested.next_since);
    expect(scheduled.items.length).toBeGreaterThan(0);
    for (const item of scheduled.items) {
      expect(item.source).toBe("cron");
      expect(item.actor).toBe("workflow:regime_check");
    }
    await store.close();
  });
});
