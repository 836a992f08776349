import { describe, expect, it } from "vitest";
import type { GraphEdge, GraphNode } from "../api/types.ts";
import { NeighbourhoodGraph } from "./neighbourhood-graph.ts";

const at = "2026-01-01T00:00:00.000Z";
const node = (id: string, data: GraphNode["data"] = {}): GraphNode => ({
  id,
  type: "stock",
  data,
  created_at: at,
  updated_at: at,
});
const edge = (id: string, from: string, to: string): GraphEdge => ({
  id,
  from,
  to,
  type: "t",
  strength: 0.5,
  created_at: at,
});

/** A view showing A and its neighbours B and C (A→B, C→A); D is a neighbour of A held back. */
function view(): NeighbourhoodGraph {
  const v = new NeighbourhoodGraph(new Map([["stock", "#f59e0b"]]), 100, 2);
  v.expand(node("A", { symbol: "A" }), {
    nodes: [node("A"), node("B"), node("C"), node("D")],
    edges: [edge("ab", "A", "B"), edge("ca", "C", "A"), edge("ad", "A", "D")],
  });
  return v;
}

describe("NeighbourhoodGraph.applyChange (live changes)", () => {
  it("follows puts and patches of shown nodes, and ignores nodes not shown", () => {
    const v = view();
    expect(v.applyChange({ op: "patch_node", at, id: "A", data: { symbol: "A2" } })).toBe(false);
    expect(v.graph.getNodeAttribute("A", "label")).toBe("A2");
    expect(v.node("A")?.data).toEqual({ symbol: "A2" });
    expect(v.applyChange({ op: "put_node", at, node: node("B", { name: "Bee" }) })).toBe(false);
    expect(v.graph.getNodeAttribute("B", "label")).toBe("Bee");
    expect(v.applyChange({ op: "patch_node", at, id: "D", data: { x: 1 } })).toBe(false);
    expect(v.graph.hasNode("D")).toBe(false);
  });

  it("drops a deleted node with its edges, and no longer offers it as a neighbour", () => {
    const v = view();
    expect(v.remaining("A")).toBe(1);
    expect(v.applyChange({ op: "delete_node", at, id: "B" })).toBe(true);
    expect(v.graph.hasNode("B")).toBe(false);
    expect(v.graph.hasEdge("ab")).toBe(false);
    expect(v.applyChange({ op: "delete_node", at, id: "D" })).toBe(false); // not shown
    expect(v.remaining("A")).toBe(0);
  });

  it("draws an edge between shown nodes, remembers one to a node not shown, and drops deleted ones", () => {
    const v = view();
    expect(v.applyChange({ op: "add_edge", at, edge: edge("bc", "B", "C") })).toBe(true);
    expect(v.graph.hasEdge("bc")).toBe(true);
    expect(v.applyChange({ op: "add_edge", at, edge: edge("be", "B", "E") })).toBe(false);
    expect(v.applyChange({ op: "add_edge", at, edge: edge("xy", "X", "Y") })).toBe(false);
    expect(v.applyChange({ op: "delete_edge", at, id: "ca" })).toBe(true);
    expect(v.graph.hasEdge("ca")).toBe(false);
    // The held-back neighbour, once shown, comes with its edge; the deleted one stays gone.
    v.more("A");
    expect(v.graph.hasEdge("ad")).toBe(true);
    expect(v.graph.hasEdge("ca")).toBe(false);
  });
});
