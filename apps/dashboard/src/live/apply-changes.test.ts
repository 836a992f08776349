import { describe, expect, it } from "vitest";
import type { Change, ChangeItem } from "../api/change-types.ts";
import type { GraphDocument, GraphEdge, GraphNode, JsonObject } from "../api/types.ts";
import { buildGraphModel, type GraphModel } from "../graph/graph-model.ts";
import { applyChangeItem } from "./apply-changes.ts";

const T = "2026-01-01T00:00:00.000Z";

function node(id: string, type: string, data: JsonObject = {}): GraphNode {
  return { id, type, data, created_at: T, updated_at: T };
}

function edge(id: string, from: string, to: string, strength = 0.5): GraphEdge {
  return { id, from, to, type: "drives", strength, created_at: T };
}

function fixture(): { doc: GraphDocument; model: GraphModel } {
  const doc: GraphDocument = {
    version: 2,
    seq: 10,
    nodes: {
      AAPL: node("AAPL", "stock", { symbol: "AAPL", price: 1, meta: { a: 1, b: 2 } }),
      MSFT: node("MSFT", "stock", { symbol: "MSFT", price: 2 }),
      GDP: node("GDP", "indicator", { name: "GDP", value: 3 }),
    },
    edges: [edge("e1", "GDP", "AAPL"), edge("e2", "GDP", "MSFT")],
    patterns: { p1: { type: "REGIME_SHIFT" } },
  };
  return { doc, model: buildGraphModel(doc) };
}

/** A record of `changes` following `seq` (records carry the seq after their last change). */
function record(after: number, changes: Change[], extra: Partial<ChangeItem> = {}): ChangeItem {
  return { seq: after + changes.length, at: T, source: "api", changes, ...extra };
}

describe("applyChangeItem", () => {
  it("merges a patch into the node's data (a new object), updates the label and the seq", () => {
    const { doc, model } = fixture();
    const before = doc.nodes.AAPL;
    const result = applyChangeItem(
      doc,
      model,
      record(10, [
        {
          op: "patch_node",
          at: "2026-02-02T00:00:00.000Z",
          id: "AAPL",
          data: { price: 5, meta: { a: null, c: 3 }, symbol: "AAPL.O" },
        },
      ]),
    );
    expect(result).toEqual({ status: "applied", structural: false });
    expect(doc.seq).toBe(11);
    expect(doc.nodes.AAPL).not.toBe(before);
    expect(doc.nodes.AAPL!.data).toEqual({ symbol: "AAPL.O", price: 5, meta: { b: 2, c: 3 } });
    expect(doc.nodes.AAPL!.updated_at).toBe("2026-02-02T00:00:00.000Z");
    expect(before!.data.price).toBe(1); // the old object is left as it was
    expect(model.graph.getNodeAttribute("AAPL", "label")).toBe("AAPL.O");
  });

  it("adds a node of a new type beside the graph, with its own colour and count", () => {
    const { doc, model } = fixture();
    const colours = new Map(model.colors);
    const result = applyChangeItem(
      doc,
      model,
      record(10, [
        { op: "put_node", at: T, node: node("VIX", "sentiment", { symbol: "VIX" }) },
        { op: "add_edge", at: T, edge: edge("e3", "VIX", "AAPL", 0.9) },
      ]),
    );
    expect(result).toEqual({ status: "applied", structural: true });
    expect(doc.nodes.VIX?.type).toBe("sentiment");
    expect(doc.edges.map((e) => e.id)).toEqual(["e1", "e2", "e3"]);
    expect(model.graph.getNodeAttributes("VIX")).toMatchObject({ label: "VIX", kind: "sentiment" });
    expect(Number.isFinite(model.graph.getNodeAttribute("VIX", "x"))).toBe(true);
    expect(model.graph.source("e3")).toBe("VIX");
    expect(model.typeCounts.get("sentiment")).toBe(1);
    expect(model.colors.get("sentiment")).toBeDefined();
    // Existing types keep their colours.
    for (const [type, colour] of colours) expect(model.colors.get(type)).toBe(colour);
  });

  it("deletes a node with its edges, in the document and in the drawn graph", () => {
    const { doc, model } = fixture();
    const typeCounts = model.typeCounts;
    const result = applyChangeItem(doc, model, record(10, [{ op: "delete_node", at: T, id: "GDP" }]));
    expect(result).toEqual({ status: "applied", structural: true });
    expect(doc.nodes.GDP).toBeUndefined();
    expect(doc.edges).toEqual([]);
    expect(model.graph.hasNode("GDP")).toBe(false);
    expect(model.graph.size).toBe(0);
    expect(model.typeCounts.has("indicator")).toBe(false);
    expect(model.typeCounts).not.toBe(typeCounts); // a new Map: the type filter re-renders
  });

  it("moves a node to another type when it is replaced with one", () => {
    const { doc, model } = fixture();
    applyChangeItem(
      doc,
      model,
      record(10, [{ op: "put_node", at: T, node: node("MSFT", "index", { name: "Msft" }) }]),
    );
    expect(model.graph.getNodeAttributes("MSFT")).toMatchObject({ kind: "index", label: "Msft" });
    expect(model.typeCounts.get("stock")).toBe(1);
    expect(model.typeCounts.get("index")).toBe(1);
  });

  it("keeps patterns in step", () => {
    const { doc, model } = fixture();
    applyChangeItem(
      doc,
      model,
      record(10, [
        { op: "put_pattern", at: T, id: "p2", pattern: { type: "X" } },
        { op: "delete_pattern", at: T, id: "p1" },
      ]),
    );
    expect(doc.patterns).toEqual({ p2: { type: "X" } });
  });

  it("skips a record the document already holds, and asks for a reload on a gap, a replacement or a misfit", () => {
    const { doc, model } = fixture();
    const patch: Change = { op: "patch_node", at: T, id: "AAPL", data: { price: 9 } };
    expect(applyChangeItem(doc, model, record(9, [patch]))).toEqual({ status: "stale" });
    expect(applyChangeItem(doc, model, record(11, [patch]))).toEqual({ status: "reload" });
    expect(
      applyChangeItem(doc, model, {
        seq: 11,
        at: T,
        source: "restore",
        changes: [],
        replaced: { nodes: 1, edges: 0, patterns: 0 },
      }),
    ).toEqual({ status: "reload" });
    // A patch of a node the document does not have: nothing of the record is applied.
    const misfit = record(10, [
      { op: "put_node", at: T, node: node("NEW", "stock") },
      { op: "patch_node", at: T, id: "GONE", data: { a: 1 } },
    ]);
    expect(applyChangeItem(doc, model, misfit)).toEqual({ status: "reload" });
    expect(doc.nodes.NEW).toBeUndefined();
    expect(doc.nodes.AAPL!.data.price).toBe(1);
    expect(doc.seq).toBe(10);
  });

  it("leaves the drawn graph as a fresh build of the document would be, after many changes", () => {
    const { doc, model } = fixture();
    // A deterministic walk over every op (mulberry32).
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
    const types = ["stock", "indicator", "sector", "signal"];
    let nextId = 0;
    for (let i = 0; i < 400; i++) {
      const ids = Object.keys(doc.nodes);
      const roll = random();
      let change: Change | undefined;
      if (roll < 0.25 || ids.length < 2) {
        change = { op: "put_node", at: T, node: node(`N${nextId++}`, pick(types)!, { name: `n${i}` }) };
      } else if (roll < 0.35) {
        change = { op: "put_node", at: T, node: node(pick(ids)!, pick(types)!, { symbol: `S${i}` }) };
      } else if (roll < 0.55) {
        change = { op: "patch_node", at: T, id: pick(ids)!, data: { name: `renamed ${i}` } };
      } else if (roll < 0.65) {
        change = { op: "delete_node", at: T, id: pick(ids)! };
      } else if (roll < 0.9) {
        change = { op: "add_edge", at: T, edge: edge(`x${i}`, pick(ids)!, pick(ids)!, random()) };
      } else if (doc.edges.length > 0) {
        change = { op: "delete_edge", at: T, id: pick(doc.edges)!.id };
      }
      if (!change) continue;
      expect(applyChangeItem(doc, model, record(doc.seq, [change])).status).toBe("applied");
    }
    const fresh = buildGraphModel(doc);
    const shape = (m: GraphModel) => ({
      nodes: m.graph
        .mapNodes((id, a) => ({ id, label: a.label, kind: a.kind, size: a.size, color: a.color }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
      edges: m.graph
        .mapEdges((id, a, from, to) => ({ id, from, to, size: a.size, kind: a.kind }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
      counts: Object.fromEntries([...m.typeCounts].sort()),
    });
    const live = shape(model);
    const rebuilt = shape(fresh);
    expect(live.edges).toEqual(rebuilt.edges);
    expect(live.counts).toEqual(rebuilt.counts);
    // Colours may differ for types first seen live (the palette is assigned by frequency on a
    // fresh build), everything else of a node may not.
    const withoutColour = (nodes: typeof live.nodes) => nodes.map(({ color: _c, ...rest }) => rest);
    expect(withoutColour(live.nodes)).toEqual(withoutColour(rebuilt.nodes));
    expect(model.graph.order).toBeGreaterThan(10);
  });
});
