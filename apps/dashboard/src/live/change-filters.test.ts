import { describe, expect, it } from "vitest";
import type { Change } from "../api/change-types.ts";
import type { GraphNode } from "../api/types.ts";
import {
  conditionNodeId,
  inNodeHistory,
  touchesNodePanel,
  touchesPatterns,
  workflowOf,
} from "./change-filters.ts";

const at = "2026-01-01T00:00:00.000Z";
const node = (id: string): GraphNode => ({ id, type: "stock", data: {}, created_at: at, updated_at: at });
const edge = (id: string, from: string, to: string) => ({
  id,
  from,
  to,
  type: "t",
  strength: 1,
  created_at: at,
});

describe("change filters", () => {
  it("a node's history has what the server's has: puts, patches, deletes and edges added at it", () => {
    const changes: Change[] = [
      { op: "put_node", at, node: node("A") },
      { op: "patch_node", at, id: "A", data: {} },
      { op: "delete_node", at, id: "A" },
      { op: "add_edge", at, edge: edge("e", "B", "A") },
      { op: "delete_edge", at, id: "e" },
      { op: "patch_node", at, id: "B", data: {} },
      { op: "put_pattern", at, id: "A", pattern: {} },
    ];
    expect(changes.map((c) => inNodeHistory(c, "A"))).toEqual([true, true, true, true, false, false, false]);
  });

  it("the panel also follows its edges and neighbours", () => {
    const links = { edges: new Set(["e1"]), nodes: new Set(["B"]) };
    expect(touchesNodePanel({ op: "delete_edge", at, id: "e1" }, "A", links)).toBe(true);
    expect(touchesNodePanel({ op: "delete_edge", at, id: "e2" }, "A", links)).toBe(false);
    expect(touchesNodePanel({ op: "delete_node", at, id: "B" }, "A", links)).toBe(true);
    expect(touchesNodePanel({ op: "delete_node", at, id: "C" }, "A", links)).toBe(false);
    expect(touchesNodePanel({ op: "put_node", at, node: node("B") }, "A", links)).toBe(true);
    expect(touchesNodePanel({ op: "patch_node", at, id: "B", data: {} }, "A", links)).toBe(false);
    expect(touchesNodePanel({ op: "patch_node", at, id: "A", data: {} }, "A", links)).toBe(true);
    expect(touchesNodePanel({ op: "add_edge", at, edge: edge("e3", "A", "C") }, "A", links)).toBe(true);
  });

  it("patterns follow the nodes their conditions read, and every pattern change", () => {
    expect(conditionNodeId("CPI > 4%")).toBe("CPI");
    expect(conditionNodeId("GDP.data.growth>=3")).toBe("GDP");
    expect(conditionNodeId("   ")).toBeNull();
    const ids = new Set(["CPI"]);
    expect(touchesPatterns({ op: "patch_node", at, id: "CPI", data: {} }, ids)).toBe(true);
    expect(touchesPatterns({ op: "patch_node", at, id: "AAPL", data: {} }, ids)).toBe(false);
    expect(touchesPatterns({ op: "put_node", at, node: node("CPI") }, ids)).toBe(true);
    expect(touchesPatterns({ op: "delete_pattern", at, id: "p" }, ids)).toBe(true);
    expect(touchesPatterns({ op: "add_edge", at, edge: edge("e", "CPI", "X") }, ids)).toBe(false);
  });

  it("names the workflow behind a record", () => {
    const item = { seq: 1, at, changes: [] };
    expect(workflowOf({ ...item, source: "workflow:regime_check" })).toBe("regime_check");
    expect(workflowOf({ ...item, source: "api" })).toBeNull();
    expect(workflowOf({ ...item, source: null })).toBeNull();
  });
});
