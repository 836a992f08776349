import { beforeEach, describe, expect, it } from "vitest";
import { DawsosError, type ErrorCode } from "../errors/errors.ts";
import { parseJsonDocument, readDocument } from "../format/read-document.ts";
import { encodeDocument } from "../format/write-document.ts";
import type { Change } from "./changes.ts";
import { KnowledgeGraph } from "./knowledge-graph.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "./types.ts";

// ------------------------------------------------------------------ helpers

const T0 = "2024-12-20T10:00:00.000Z";
const T1 = "2024-12-21T11:00:00.000Z";
const T2 = "2024-12-22T12:00:00.000Z";

function nodeRecord(id: string, type = "indicator", data: JsonObject = {}, at = T0): GraphNode {
  return { id, type, data, created_at: at, updated_at: at };
}

function edgeRecord(id: string, from: string, to: string, type = "rel", strength = 0.5, at = T0): GraphEdge {
  return { id, from, to, type, strength, created_at: at };
}

const put = (id: string, type = "indicator", data: JsonObject = {}, at = T0): Change => ({
  op: "put_node",
  at,
  node: nodeRecord(id, type, data, at),
});
const patch = (id: string, data: JsonObject, at = T1): Change => ({ op: "patch_node", at, id, data });
const delNode = (id: string, at = T1): Change => ({ op: "delete_node", at, id });
const edge = (id: string, from: string, to: string, type = "rel", strength = 0.5, at = T0): Change => ({
  op: "add_edge",
  at,
  edge: edgeRecord(id, from, to, type, strength, at),
});
const delEdge = (id: string, at = T1): Change => ({ op: "delete_edge", at, id });
const putPattern = (id: string, pattern: Pattern, at = T0): Change => ({
  op: "put_pattern",
  at,
  id,
  pattern,
});
const delPattern = (id: string, at = T1): Change => ({ op: "delete_pattern", at, id });

/** The error `fn` throws; fails the test when it throws nothing or something that is not ours. */
function errorOf(fn: () => unknown): DawsosError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(DawsosError);
  return thrown as DawsosError;
}

function expectCode(fn: () => unknown, code: ErrorCode): DawsosError {
  const err = errorOf(fn);
  expect(err.code).toBe(code);
  return err;
}

const decoder = new TextDecoder();
async function text(graph: KnowledgeGraph): Promise<string> {
  return decoder.decode((await encodeDocument(graph)).bytes);
}

const ids = (items: Iterable<{ id: string }>): string[] => [...items].map((x) => x.id).sort();

function graphWith(...changes: Change[]): KnowledgeGraph {
  const g = new KnowledgeGraph({ metadata: { created: T0 } });
  if (changes.length > 0) g.apply(changes);
  return g;
}

/** A snapshot of Object.prototype: own names and their values. */
function prototypeSnapshot(): Array<[string, unknown]> {
  return Object.getOwnPropertyNames(Object.prototype)
    .sort()
    .map((name) => [name, Object.getOwnPropertyDescriptor(Object.prototype, name)?.value]);
}

// ------------------------------------------------------------------ mutation

describe("KnowledgeGraph.apply", () => {
  describe("put_node", () => {
    it("adds a node, bumps seq and records modified", () => {
      const g = graphWith();
      expect(g.seq).toBe(0);
      g.apply([put("GDP", "indicator", { value: 2.5 }, T1)]);
      expect(g.seq).toBe(1);
      expect(g.metadata.modified).toBe(T1);
      expect(g.hasNode("GDP")).toBe(true);
      expect(g.getNode("GDP")).toEqual(nodeRecord("GDP", "indicator", { value: 2.5 }, T1));
      expect(g.nodeCount).toBe(1);
      expect(ids(g.nodesByType("indicator"))).toEqual(["GDP"]);
    });

    it("keeps unknown fields of the node record", () => {
      const g = graphWith();
      g.apply([{ op: "put_node", at: T0, node: { ...nodeRecord("N"), label: "x", extra: { a: [1] } } }]);
      expect(g.getNode("N")).toMatchObject({ label: "x", extra: { a: [1] } });
    });

    it("replaces an existing node completely and keeps its edges", () => {
      const g = graphWith(put("A", "t", { a: 1, b: 2 }), put("B"), edge("e", "A", "B"));
      g.apply([put("A", "t", { c: 3 }, T1)]);
      expect(g.getNode("A")!.data).toEqual({ c: 3 });
      expect(g.nodeCount).toBe(2);
      expect(g.getEdge("e")).toBeDefined();
      expect(ids(g.outEdges("A"))).toEqual(["e"]);
      expect(ids(g.inEdges("B"))).toEqual(["e"]);
    });

    it("moves a node between by-type indexes when its type changes", () => {
      const g = graphWith(put("A", "old"), put("B", "old"));
      g.apply([put("A", "new")]);
      expect(ids(g.nodesByType("old"))).toEqual(["B"]);
      expect(ids(g.nodesByType("new"))).toEqual(["A"]);
      expect(g.stats().node_types).toEqual({ new: 1, old: 1 });
      g.apply([put("B", "new")]);
      expect(g.nodesByType("old")).toEqual([]);
      expect([...g.nodeTypes()]).toEqual(["new"]);
      expect(g.stats().node_types).toEqual({ new: 2 });
    });

    it("rejects invalid nodes with validation_error", () => {
      const g = graphWith();
      const bad: unknown[] = [
        null,
        [],
        "node",
        { ...nodeRecord("A"), type: "" },
        { ...nodeRecord("A"), type: "x".repeat(257) },
        { ...nodeRecord("A"), type: 5 },
        { ...nodeRecord("A"), data: null },
        { ...nodeRecord("A"), data: [1] },
        { ...nodeRecord("A"), data: "x" },
        { ...nodeRecord("A"), created_at: undefined },
        { ...nodeRecord("A"), updated_at: 5 },
      ];
      for (const node of bad) {
        expectCode(() => g.apply([{ op: "put_node", at: T0, node } as Change]), "validation_error");
      }
      expect(g.nodeCount).toBe(0);
      expect(g.seq).toBe(0);
    });
  });

  describe("patch_node", () => {
    it("merges data as an RFC 7396 merge patch and sets updated_at", () => {
      const g = graphWith(
        put("A", "t", { keep: 1, drop: 2, nested: { x: 1, y: { z: 1 } }, list: [1, 2, 3], scalar: 5 }),
      );
      g.apply([
        patch(
          "A",
          { drop: null, nested: { y: { w: 2 }, x: null }, list: [9], scalar: { now: "object" } },
          T2,
        ),
      ]);
      const n = g.getNode("A")!;
      expect(n.data).toEqual({
        keep: 1,
        nested: { y: { z: 1, w: 2 } },
        list: [9],
        scalar: { now: "object" },
      });
      expect(Object.hasOwn(n.data, "drop")).toBe(false);
      expect(n.updated_at).toBe(T2);
      expect(n.created_at).toBe(T0);
      expect(n.type).toBe("t");
      expect(g.seq).toBe(2);
    });

    it("passes the RFC 7396 appendix A examples (object cases)", () => {
      const cases: Array<[JsonObject, JsonObject, JsonObject]> = [
        [{ a: "b" }, { a: "c" }, { a: "c" }],
        [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
        [{ a: "b" }, { a: null }, {}],
        [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
        [{ a: ["b"] }, { a: "c" }, { a: "c" }],
        [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
        [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
        [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
        [{ e: null }, { a: 1 }, { e: null, a: 1 }],
        [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
      ];
      for (const [target, mergePatch, expected] of cases) {
        const g = graphWith(put("N", "t", target));
        g.apply([patch("N", mergePatch)]);
        expect(g.getNode("N")!.data, JSON.stringify([target, mergePatch])).toEqual(expected);
      }
    });

    it("adds new __proto__, constructor and toString members, whatever their value, as own data", () => {
      const g = graphWith(put("A", "t", { keep: 1 }));
      g.apply([
        patch(
          "A",
          JSON.parse('{"__proto__": 3, "constructor": [1], "toString": "s", "n": {"__proto__": [2]}}'),
        ),
      ]);
      const d = g.getNode("A")!.data;
      expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
      expect(Object.keys(d).sort()).toEqual(["__proto__", "constructor", "keep", "n", "toString"]);
      expect(Object.getOwnPropertyDescriptor(d, "__proto__")?.value).toBe(3);
      expect(d.constructor).toEqual([1]);
      const n = d.n as JsonObject;
      expect(Object.getPrototypeOf(n)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(n, "__proto__")?.value).toEqual([2]);
      g.apply([patch("A", JSON.parse('{"__proto__": null, "n": {"__proto__": null}}'))]);
      expect(Object.keys(g.getNode("A")!.data).sort()).toEqual(["constructor", "keep", "n", "toString"]);
      expect(Object.keys(g.getNode("A")!.data.n as JsonObject)).toEqual([]);
      expect(({} as Record<string, unknown>).keep).toBeUndefined();
    });

    it("keeps unknown top-level fields of the node", () => {
      const g = graphWith({ op: "put_node", at: T0, node: { ...nodeRecord("A"), label: "L" } });
      g.apply([patch("A", { v: 1 })]);
      expect(g.getNode("A")).toMatchObject({ label: "L", data: { v: 1 } });
    });

    it("does not mutate the previous node object or its data", () => {
      const data = { a: 1, nested: { b: 2, list: [1, 2] }, gone: true };
      const g = graphWith(put("A", "t", data));
      const before = g.getNode("A")!;
      const copy = structuredClone(before);
      g.apply([patch("A", { a: 2, nested: { b: null, c: 3 }, gone: null })]);
      expect(before).toEqual(copy);
      expect(data).toEqual({ a: 1, nested: { b: 2, list: [1, 2] }, gone: true });
      expect(g.getNode("A")).not.toBe(before);
      expect(g.getNode("A")!.data).toEqual({ a: 2, nested: { list: [1, 2], c: 3 } });
    });

    it("fails with not_found for a missing node and changes nothing", async () => {
      const g = graphWith(put("A"));
      const before = await text(g);
      expectCode(() => g.apply([patch("B", { v: 1 })]), "not_found");
      expect(await text(g)).toBe(before);
      expect(g.seq).toBe(1);
    });

    // A merge patch for `data` must itself be an object: `null`, an array or a string would
    // (per RFC 7396) replace `data` with a non-object, which no node may have.
    it("rejects a non-object patch with validation_error and changes nothing", async () => {
      for (const bad of [null, [1, 2], "xy", 5, true]) {
        const g = graphWith(put("A", "t", { keep: 1 }));
        const before = await text(g);
        const err = expectCode(
          () => g.apply([put("B"), { op: "patch_node", at: T1, id: "A", data: bad } as unknown as Change]),
          "validation_error",
        );
        expect(err.changeIndex, JSON.stringify(bad)).toBe(1);
        expect(await text(g)).toBe(before);
        expect(g.getNode("A")!.data).toEqual({ keep: 1 });
      }
    });
  });

  describe("delete_node", () => {
    it("deletes the node with its incoming, outgoing and self-loop edges only", () => {
      const g = graphWith(
        put("A", "a"),
        put("B", "b"),
        put("C", "c"),
        edge("ab", "A", "B", "x"),
        edge("ba", "B", "A", "y"),
        edge("bb", "B", "B", "x"),
        edge("cb", "C", "B", "z"),
        edge("ac", "A", "C", "x"),
      );
      g.apply([delNode("B")]);
      expect(g.hasNode("B")).toBe(false);
      expect(ids(g.edges())).toEqual(["ac"]);
      expect(ids(g.outEdges("A"))).toEqual(["ac"]);
      expect(g.inEdges("A")).toEqual([]);
      expect(g.outEdges("C")).toEqual([]);
      expect(ids(g.inEdges("C"))).toEqual(["ac"]);
      expect(g.outEdges("B")).toEqual([]);
      expect(g.inEdges("B")).toEqual([]);
      expect(g.nodesByType("b")).toEqual([]);
      expect(g.stats()).toMatchObject({
        total_nodes: 2,
        total_edges: 1,
        node_types: { a: 1, c: 1 },
        edge_types: { x: 1 },
      });
    });

    it("fails with not_found for a missing node", () => {
      const g = graphWith(put("A"));
      const err = expectCode(() => g.apply([delNode("B")]), "not_found");
      expect(err.changeIndex).toBe(0);
      expect(g.seq).toBe(1);
    });
  });

  describe("add_edge", () => {
    it("adds an edge to both adjacency indexes", () => {
      const g = graphWith(put("A"), put("B"));
      g.apply([edge("e1", "A", "B", "causes", 0.7)]);
      expect(g.getEdge("e1")).toEqual(edgeRecord("e1", "A", "B", "causes", 0.7));
      expect(ids(g.outEdges("A"))).toEqual(["e1"]);
      expect(ids(g.inEdges("B"))).toEqual(["e1"]);
      expect(g.inEdges("A")).toEqual([]);
      expect(g.outEdges("B")).toEqual([]);
      expect(g.edgeCount).toBe(1);
      expect(g.stats().edge_types).toEqual({ causes: 1 });
    });

    it("allows self-loops, parallel edges and the strength bounds 0 and 1", () => {
      const g = graphWith(put("A"), put("B"));
      g.apply([edge("loop", "A", "A", "r", 0), edge("p1", "A", "B", "r", 1), edge("p2", "A", "B", "r", 1)]);
      expect(ids(g.outEdges("A"))).toEqual(["loop", "p1", "p2"]);
      expect(ids(g.inEdges("A"))).toEqual(["loop"]);
      expect(g.stats().edge_types).toEqual({ r: 3 });
    });

    it("fails with unknown_node for a missing endpoint and changes nothing", async () => {
      const g = graphWith(put("A"));
      const before = await text(g);
      for (const change of [edge("e", "A", "X"), edge("e", "X", "A"), edge("e", "X", "Y")]) {
        const err = expectCode(() => g.apply([change]), "unknown_node");
        expect((err as DawsosError & { nodeId?: string }).nodeId).toBe("X");
        expect(err.changeIndex).toBe(0);
      }
      expect(g.seq).toBe(1);
      expect(g.edgeCount).toBe(0);
      expect(g.outEdges("A")).toEqual([]);
      expect(await text(g)).toBe(before);
    });

    it("fails with conflict for a duplicate edge id, whatever its endpoints", async () => {
      const g = graphWith(put("A"), put("B"), edge("e", "A", "B", "r", 0.4));
      const before = await text(g);
      expectCode(() => g.apply([edge("e", "A", "B", "r", 0.4)]), "conflict");
      expectCode(() => g.apply([edge("e", "B", "A", "other", 0.9)]), "conflict");
      expect(g.getEdge("e")).toEqual(edgeRecord("e", "A", "B", "r", 0.4));
      expect(g.seq).toBe(3);
      expect(await text(g)).toBe(before);
    });

    it("fails with validation_error for a strength outside [0, 1] or not a number", () => {
      const g = graphWith(put("A"), put("B"));
      for (const strength of [-0.1, 1.0000001, 2, Number.NaN, Number.POSITIVE_INFINITY, "0.5", null]) {
        const change = {
          op: "add_edge",
          at: T0,
          edge: { ...edgeRecord("e", "A", "B"), strength },
        } as unknown as Change;
        expectCode(() => g.apply([change]), "validation_error");
      }
      expect(g.edgeCount).toBe(0);
      expect(g.seq).toBe(2);
    });

    it("fails with validation_error for a bad edge type or timestamp", () => {
      const g = graphWith(put("A"), put("B"));
      for (const over of [
        { type: "" },
        { type: "t".repeat(257) },
        { created_at: 0 },
        { created_at: undefined },
      ]) {
        const change = { op: "add_edge", at: T0, edge: { ...edgeRecord("e", "A", "B"), ...over } } as Change;
        expectCode(() => g.apply([change]), "validation_error");
      }
      expect(g.edgeCount).toBe(0);
    });
  });

  describe("delete_edge", () => {
    it("removes the edge from every index", () => {
      const g = graphWith(put("A"), put("B"), edge("e", "A", "B", "r"), edge("f", "A", "B", "s"));
      g.apply([delEdge("e")]);
      expect(g.getEdge("e")).toBeUndefined();
      expect(ids(g.outEdges("A"))).toEqual(["f"]);
      expect(ids(g.inEdges("B"))).toEqual(["f"]);
      expect(g.stats().edge_types).toEqual({ s: 1 });
      expect(g.hasNode("A")).toBe(true);
      expect(g.hasNode("B")).toBe(true);
    });

    it("fails with not_found for a missing edge", () => {
      const g = graphWith(put("A"));
      expectCode(() => g.apply([delEdge("nope")]), "not_found");
      expect(g.seq).toBe(1);
    });
  });

  describe("put_pattern / delete_pattern", () => {
    it("adds, replaces and deletes patterns", () => {
      const g = graphWith();
      const p1: Pattern = { type: "REGIME_SHIFT", trigger_conditions: ["CPI > 4%"], confidence: 0.75 };
      const p2: Pattern = { type: "OTHER", description: "d", extra_field: [1] };
      g.apply([putPattern("p", p1)]);
      expect(g.getPattern("p")).toEqual(p1);
      expect(g.patternCount).toBe(1);
      g.apply([putPattern("p", p2)]);
      expect(g.getPattern("p")).toEqual(p2);
      expect(g.patternCount).toBe(1);
      g.apply([delPattern("p")]);
      expect(g.getPattern("p")).toBeUndefined();
      expect(g.patternCount).toBe(0);
      expect(g.seq).toBe(3);
    });

    it("rejects invalid patterns with validation_error", () => {
      const g = graphWith();
      const bad: unknown[] = [
        null,
        [],
        { confidence: 1.5 },
        { confidence: -0.01 },
        { confidence: Number.NaN },
        { type: "" },
        { type: 3 },
        { trigger_conditions: "CPI > 4" },
        { trigger_conditions: [4] },
        { nodes: "A" },
        { nodes: [1] },
      ];
      for (const pattern of bad) {
        expectCode(
          () => g.apply([{ op: "put_pattern", at: T0, id: "p", pattern } as Change]),
          "validation_error",
        );
      }
      expect(g.patternCount).toBe(0);
    });

    it("fails with not_found when deleting a missing pattern", () => {
      const g = graphWith();
      expectCode(() => g.apply([delPattern("p")]), "not_found");
    });
  });

  describe("ids", () => {
    const id256 = "i".repeat(256);
    const id257 = "i".repeat(257);

    it("accepts ids of 1 and 256 characters for nodes, edges and patterns", () => {
      const g = graphWith();
      g.apply([put("a"), put(id256), edge(id256, "a", id256), edge("e", id256, "a"), putPattern(id256, {})]);
      expect(g.getNode(id256)!.id).toBe(id256);
      expect(g.getEdge(id256)).toBeDefined();
      expect(g.getPattern(id256)).toEqual({});
    });

    it("rejects empty and 257-character ids with invalid_id", async () => {
      const g = graphWith(put("a"));
      const before = await text(g);
      for (const bad of ["", id257]) {
        expectCode(() => g.apply([put(bad)]), "invalid_id");
        expectCode(() => g.apply([edge(bad, "a", "a")]), "invalid_id");
        expectCode(() => g.apply([edge("e", bad, "a")]), "invalid_id");
        expectCode(() => g.apply([edge("e", "a", bad)]), "invalid_id");
        expectCode(() => g.apply([putPattern(bad, {})]), "invalid_id");
      }
      expectCode(
        () => g.apply([{ op: "put_node", at: T0, node: { ...nodeRecord("x"), id: 7 } } as unknown as Change]),
        "invalid_id",
      );
      expect(await text(g)).toBe(before);
    });
  });
});

// ------------------------------------------------------------------ special ids

describe("ids that are Object.prototype member names", () => {
  const SPECIAL = ["__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf"];
  let protoBefore: Array<[string, unknown]>;

  beforeEach(() => {
    protoBefore = prototypeSnapshot();
  });

  const check = () => {
    expect(prototypeSnapshot()).toEqual(protoBefore);
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
    expect(typeof probe.hasOwnProperty).toBe("function");
  };

  for (const id of SPECIAL) {
    it(`works for ${id} as node, edge, pattern, node type and edge type`, async () => {
      const data = JSON.parse(`{"${id}": {"polluted": "yes"}, "value": 5}`) as JsonObject;
      const g = graphWith();
      g.apply([
        put(id, id, data),
        put("other", id),
        put("plain", "t"),
        edge(id, id, "other", id, 0.9),
        edge("loop", id, id, id, 0.2),
        edge("in", "plain", id, "t", 0.4),
        putPattern(id, { type: id, trigger_conditions: [`${id} > 4`], nodes: ["plain"], via: id }),
      ]);
      check();
      expect(g.getNode(id)!.id).toBe(id);
      expect(Object.hasOwn(g.getNode(id)!.data, id)).toBe(true);
      expect(g.getEdge(id)).toMatchObject({ from: id, to: "other", type: id });
      expect(g.getPattern(id)).toMatchObject({ type: id });
      expect(ids(g.nodesByType(id))).toEqual([id, "other"].sort());
      expect([...g.nodeTypes()].sort()).toEqual([id, "t"].sort());
      expect(ids(g.outEdges(id))).toEqual([id, "loop"].sort());
      expect(ids(g.inEdges(id))).toEqual(["in", "loop"]);
      expect(g.influences(id).map((i) => i.id)).toEqual(["in", "loop"]);
      expect(ids(g.neighbors(id).nodes)).toEqual(["other", "plain"]);
      expect(g.paths("plain", "other")).toHaveLength(1);
      expect(ids(g.nodesByPatternType(id))).toEqual([id, "plain"].sort());
      expect(g.evaluatePatterns()).toEqual([
        { id, type: id, triggered: true, conditions: [{ expr: `${id} > 4`, value: 5, result: true }] },
      ]);

      const stats = g.stats();
      expect(Object.hasOwn(stats.node_types, id)).toBe(true);
      expect(stats.node_types[id]).toBe(2);
      expect(Object.hasOwn(stats.edge_types, id)).toBe(true);
      expect(stats.edge_types[id]).toBe(2);
      expect(stats.edge_types.t).toBe(1);
      expect(stats).toMatchObject({ total_nodes: 3, total_edges: 3, total_patterns: 1 });

      // Patch with a __proto__ member: it stays plain data.
      g.apply([patch(id, JSON.parse('{"__proto__": {"polluted": "patched"}, "value": 6}') as JsonObject)]);
      check();
      const patched = g.getNode(id)!.data;
      expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
      expect(Object.hasOwn(patched, "__proto__")).toBe(true);
      expect((Object.getOwnPropertyDescriptor(patched, "__proto__")!.value as JsonObject).polluted).toBe(
        "patched",
      );
      expect(patched.value).toBe(6);

      // Round trip through the document format.
      const first = await encodeDocument(g);
      const doc = parseJsonDocument(first.bytes, "graph.json");
      const again = readDocument(doc, { now: T2, file: "graph.json" }).graph;
      check();
      const second = await encodeDocument(again);
      expect(second.checksum).toBe(first.checksum);
      expect(decoder.decode(second.bytes)).toBe(decoder.decode(first.bytes));
      expect(ids(again.nodesByType(id))).toEqual([id, "other"].sort());
      expect(again.stats()).toEqual(g.stats());

      // And everything can be deleted again.
      g.apply([delPattern(id), delEdge(id), delNode(id)]);
      check();
      expect(g.hasNode(id)).toBe(false);
      expect(g.getEdge(id)).toBeUndefined();
      expect(g.getPattern(id)).toBeUndefined();
      expect(ids(g.nodesByType(id))).toEqual(["other"]);
      expect(g.stats().edge_types).toEqual({});
      g.apply([delNode("other")]);
      expect(g.nodesByType(id)).toEqual([]);
      expect(Object.hasOwn(g.stats().node_types, id)).toBe(false);
      check();
    });
  }
});

// ------------------------------------------------------------------ atomicity and undo

describe("all-or-nothing apply", () => {
  const build = () =>
    graphWith(
      put("A", "a", { v: 1 }),
      put("B", "b"),
      put("C", "c"),
      edge("ab", "A", "B", "x", 0.5),
      edge("bc", "B", "C", "y", 0.6),
      putPattern("p", { type: "P", nodes: ["A"] }),
    );

  const failingThird: Array<[string, Change, ErrorCode]> = [
    ["unknown endpoint", edge("new", "A", "NOPE"), "unknown_node"],
    ["duplicate edge", edge("bc", "A", "B"), "conflict"],
    ["bad strength", edge("new", "A", "B", "x", 2), "validation_error"],
    ["bad id", put(""), "invalid_id"],
    ["missing node patch", patch("NOPE", { v: 1 }), "not_found"],
    ["missing node delete", delNode("NOPE"), "not_found"],
    ["missing edge delete", delEdge("ab"), "not_found"],
    ["missing pattern delete", delPattern("NOPE"), "not_found"],
  ];

  for (const [name, third, code] of failingThird) {
    it(`leaves the graph byte-identical when the 3rd change fails (${name})`, async () => {
      const g = build();
      const before = await text(g);
      const seq = g.seq;
      const changes: Change[] = [
        // Touches every index: type change, data patch, edge deletion, node deletion with edges.
        put("A", "changed", { v: 2 }, T1),
        delEdge("ab", T1),
        third,
        delNode("B", T2),
        putPattern("q", { type: "Q" }, T2),
      ];
      const err = expectCode(() => g.apply(changes), code);
      expect(err.changeIndex).toBe(2);
      expect(g.seq).toBe(seq);
      expect(await text(g)).toBe(before);
      expect(ids(g.nodesByType("a"))).toEqual(["A"]);
      expect(g.nodesByType("changed")).toEqual([]);
      expect(ids(g.outEdges("A"))).toEqual(["ab"]);
      expect(ids(g.inEdges("B"))).toEqual(["ab"]);
      expect(g.stats().edge_types).toEqual({ x: 1, y: 1 });
      // The graph still accepts the good part afterwards.
      g.apply([changes[0]!, changes[1]!]);
      expect(g.seq).toBe(seq + 2);
    });
  }

  it("sets changeIndex 0 when the first change fails and rolls back a long prefix", async () => {
    const g = build();
    const before = await text(g);
    expect(expectCode(() => g.apply([delNode("X")]), "not_found").changeIndex).toBe(0);
    const long: Change[] = [];
    for (let i = 0; i < 50; i++) long.push(put(`n${i}`, "bulk"), edge(`e${i}`, "A", `n${i}`));
    long.push(delNode("A"), edge("dangling", "A", "C"));
    expect(expectCode(() => g.apply(long), "unknown_node").changeIndex).toBe(101);
    expect(await text(g)).toBe(before);
    expect(g.nodesByType("bulk")).toEqual([]);
  });

  it("restores an absent metadata.modified on failure", () => {
    const g = new KnowledgeGraph();
    g.loadNode(nodeRecord("A"));
    expectCode(() => g.apply([put("B"), delNode("X")]), "not_found");
    expect(Object.hasOwn(g.metadata, "modified")).toBe(false);
  });
});

describe("undo returned by apply", () => {
  it("restores the exact previous state after mixed successful changes", async () => {
    const g = graphWith(
      put("A", "a", { v: 1, keep: { x: 1 } }),
      put("B", "b"),
      put("C", "c"),
      edge("ab", "A", "B", "x"),
      edge("bc", "B", "C", "y"),
      edge("ca", "C", "A", "x"),
      putPattern("p", { type: "P", nodes: ["A"] }),
    );
    const before = await text(g);
    const statsBefore = g.stats();
    const seq = g.seq;
    const undo = g.apply([
      put("A", "z", { v: 2 }, T1),
      patch("A", { v: null, w: [1] }, T1),
      patch("B", { deep: { a: 1 } }, T1),
      put("D", "d", {}, T1),
      edge("ad", "A", "D", "new", 0.1, T1),
      delEdge("ab", T1),
      delNode("B", T2),
      putPattern("p", { type: "P2" }, T2),
      putPattern("q", { type: "Q" }, T2),
      delPattern("p", T2),
      delNode("C", T2),
    ]);
    expect(g.seq).toBe(seq + 11);
    expect(await text(g)).not.toBe(before);
    undo();
    expect(g.seq).toBe(seq);
    expect(await text(g)).toBe(before);
    expect(g.stats()).toEqual(statsBefore);
    expect(ids(g.outEdges("B"))).toEqual(["bc"]);
    expect(ids(g.inEdges("A"))).toEqual(["ca"]);
    expect(ids(g.nodesByType("a"))).toEqual(["A"]);
    expect(g.nodesByType("z")).toEqual([]);
  });

  it("undoes successive applies in reverse order, each to its own previous bytes", async () => {
    const g = graphWith(put("A"), put("B"));
    const states = [await text(g)];
    const undos = [];
    for (const changes of [
      [edge("e", "A", "B")],
      [patch("A", { v: 1 })],
      [delNode("B"), put("B", "again")],
      [putPattern("p", { nodes: ["A"] })],
    ]) {
      undos.push(g.apply(changes));
      states.push(await text(g));
    }
    for (let i = undos.length - 1; i >= 0; i--) {
      undos[i]!();
      expect(await text(g)).toBe(states[i]);
    }
  });

  it("restores an absent metadata.modified", () => {
    const g = new KnowledgeGraph();
    const undo = g.apply([put("A")]);
    expect(g.metadata.modified).toBe(T0);
    undo();
    expect(Object.hasOwn(g.metadata, "modified")).toBe(false);
    expect(g.nodeCount).toBe(0);
  });
});

// ------------------------------------------------------------------ reads

describe("influences", () => {
  it("lists incoming edges strongest first, ties by source id", () => {
    const g = graphWith(
      put("T"),
      put("A"),
      put("B"),
      put("C"),
      edge("a", "A", "T", "x", 0.3),
      edge("b", "B", "T", "y", 0.9),
      edge("c", "C", "T", "z", 0.3),
      edge("out", "T", "A", "x", 1),
    );
    expect(g.influences("T")).toEqual([
      { id: "b", from: "B", type: "y", strength: 0.9 },
      { id: "a", from: "A", type: "x", strength: 0.3 },
      { id: "c", from: "C", type: "z", strength: 0.3 },
    ]);
    expect(g.influences("B")).toEqual([]);
    expect(g.influences("NOPE")).toEqual([]);
  });
});

describe("neighbors", () => {
  // X -> A -> B -> C -> D -> E -> F -> G, plus B -> A (a cycle), A -> A, and A -> H of type "other".
  const chain = () =>
    graphWith(
      ...["X", "A", "B", "C", "D", "E", "F", "G", "H"].map((id) => put(id)),
      edge("xa", "X", "A"),
      edge("ab", "A", "B"),
      edge("bc", "B", "C"),
      edge("cd", "C", "D"),
      edge("de", "D", "E"),
      edge("ef", "E", "F"),
      edge("fg", "F", "G"),
      edge("ba", "B", "A"),
      edge("aa", "A", "A"),
      edge("ah", "A", "H", "other"),
    );

  it("follows out, in or both directions one hop by default", () => {
    const g = chain();
    expect(ids(g.neighbors("A", { direction: "out" }).nodes)).toEqual(["B", "H"]);
    expect(ids(g.neighbors("A", { direction: "out" }).edges)).toEqual(["aa", "ab", "ah"]);
    expect(ids(g.neighbors("A", { direction: "in" }).nodes)).toEqual(["B", "X"]);
    expect(ids(g.neighbors("A", { direction: "in" }).edges)).toEqual(["aa", "ba", "xa"]);
    const both = g.neighbors("A");
    expect(ids(both.nodes)).toEqual(["B", "H", "X"]);
    expect(ids(both.edges)).toEqual(["aa", "ab", "ah", "ba", "xa"]);
  });

  it("never includes the start node and lists each node and edge once", () => {
    const g = chain();
    for (const direction of ["in", "out", "both"] as const) {
      for (let depth = 1; depth <= 5; depth++) {
        const n = g.neighbors("A", { direction, depth });
        const nodeIds = n.nodes.map((x) => x.id);
        const edgeIds = n.edges.map((x) => x.id);
        expect(nodeIds).not.toContain("A");
        expect(new Set(nodeIds).size).toBe(nodeIds.length);
        expect(new Set(edgeIds).size).toBe(edgeIds.length);
      }
    }
  });

  it("goes depth hops, nearest first", () => {
    const g = chain();
    expect(g.neighbors("A", { direction: "out", depth: 3 }).nodes.map((n) => n.id)).toEqual([
      "B",
      "H",
      "C",
      "D",
    ]);
    expect(ids(g.neighbors("X", { direction: "out", depth: 2 }).nodes)).toEqual(["A", "B", "H"]);
    expect(ids(g.neighbors("D", { direction: "in", depth: 2 }).nodes)).toEqual(["B", "C"]);
  });

  it("clamps depth to 1-5 and truncates fractions", () => {
    const g = chain();
    const out = (depth: number) => g.neighbors("X", { direction: "out", depth }).nodes.map((n) => n.id);
    expect(out(0)).toEqual(["A"]);
    expect(out(-3)).toEqual(["A"]);
    expect(out(1.9)).toEqual(["A"]);
    expect(out(2.9)).toEqual(["A", "B", "H"]);
    expect(out(5)).toEqual(["A", "B", "H", "C", "D", "E"]);
    expect(out(6)).toEqual(out(5));
    expect(out(99)).toEqual(out(5));
    expect(out(Number.POSITIVE_INFINITY)).toEqual(out(5));
  });

  it("treats a non-numeric depth like the default, not as zero hops", () => {
    const g = chain();
    expect(ids(g.neighbors("X", { direction: "out", depth: Number.NaN }).nodes)).toEqual(["A"]);
  });

  it("follows only edges of edgeType when given", () => {
    const g = chain();
    expect(ids(g.neighbors("A", { direction: "out", depth: 5, edgeType: "other" }).nodes)).toEqual(["H"]);
    expect(ids(g.neighbors("A", { direction: "out", depth: 5, edgeType: "other" }).edges)).toEqual(["ah"]);
    expect(ids(g.neighbors("X", { direction: "out", depth: 5, edgeType: "other" }).nodes)).toEqual([]);
    expect(g.neighbors("X", { depth: 5, edgeType: "nope" })).toEqual({ nodes: [], edges: [] });
  });

  it("returns stored node and edge records", () => {
    const g = chain();
    const n = g.neighbors("X", { direction: "out" });
    expect(n.nodes[0]).toBe(g.getNode("A"));
    expect(n.edges[0]).toBe(g.getEdge("xa"));
  });

  it("is empty for an unknown node or an isolated node", () => {
    const g = chain();
    g.apply([put("LONE")]);
    expect(g.neighbors("NOPE", { depth: 5 })).toEqual({ nodes: [], edges: [] });
    expect(g.neighbors("LONE", { depth: 5 })).toEqual({ nodes: [], edges: [] });
  });
});

describe("paths", () => {
  // S->A .9, A->T .9 (0.81); S->A->B->T .9*.8*1 (0.72); S->T .6; S->B->T .5; A->S and B->A back edges.
  const build = () =>
    graphWith(
      ...["S", "A", "B", "T", "Z"].map((id) => put(id)),
      edge("sa", "S", "A", "r", 0.9),
      edge("at", "A", "T", "r", 0.9),
      edge("ab", "A", "B", "r", 0.8),
      edge("bt", "B", "T", "r", 1),
      edge("st", "S", "T", "r", 0.6),
      edge("sb", "S", "B", "r", 0.5),
      edge("as", "A", "S", "r", 1),
      edge("ba", "B", "A", "r", 1),
      edge("tz", "T", "Z", "r", 1),
    );

  it("finds every simple path, strongest first, with strength = product", () => {
    const g = build();
    const found = g.paths("S", "T");
    expect(found.map((p) => p.edges)).toEqual([
      ["sa", "at"],
      ["sa", "ab", "bt"],
      ["st"],
      ["sb", "bt"],
      ["sb", "ba", "at"],
    ]);
    expect(found.map((p) => p.nodes)).toEqual([
      ["S", "A", "T"],
      ["S", "A", "B", "T"],
      ["S", "T"],
      ["S", "B", "T"],
      ["S", "B", "A", "T"],
    ]);
    const expected = [0.81, 0.72, 0.6, 0.5, 0.45];
    found.forEach((p, i) => {
      expect(p.strength).toBeCloseTo(expected[i]!, 12);
    });
    for (const p of found) {
      expect(new Set(p.nodes).size).toBe(p.nodes.length);
      expect(p.nodes.length).toBe(p.edges.length + 1);
      p.edges.forEach((id, i) => {
        const e = g.getEdge(id)!;
        expect(e.from).toBe(p.nodes[i]);
        expect(e.to).toBe(p.nodes[i + 1]);
      });
    }
  });

  it("returns at most limit paths, the strongest ones", () => {
    const g = build();
    expect(g.paths("S", "T", { limit: 2 }).map((p) => p.edges)).toEqual([
      ["sa", "at"],
      ["sa", "ab", "bt"],
    ]);
    expect(g.paths("S", "T", { limit: 1 })).toHaveLength(1);
    expect(g.paths("S", "T", { limit: 5 })).toHaveLength(5);
    expect(g.paths("S", "T", { limit: 100 })).toHaveLength(5);
  });

  it("respects maxDepth", () => {
    const g = build();
    expect(g.paths("S", "T", { maxDepth: 1 }).map((p) => p.edges)).toEqual([["st"]]);
    expect(g.paths("S", "T", { maxDepth: 2 }).map((p) => p.edges)).toEqual([
      ["sa", "at"],
      ["st"],
      ["sb", "bt"],
    ]);
    expect(g.paths("S", "Z", { maxDepth: 2 }).map((p) => p.edges)).toEqual([["st", "tz"]]);
    expect(g.paths("S", "Z", { maxDepth: 4 })).toHaveLength(5);
  });

  it("defaults to at most 20 paths and depth 4", () => {
    // Layers of 5 fully connected nodes: 5^3 = 125 paths of length 4 from S to T.
    const changes: Change[] = [put("S"), put("T")];
    const layers = [0, 1, 2].map((l) => [0, 1, 2, 3, 4].map((i) => `L${l}_${i}`));
    for (const layer of layers) for (const id of layer) changes.push(put(id));
    for (const id of layers[0]!) changes.push(edge(`S-${id}`, "S", id, "r", 0.9));
    for (let l = 0; l < 2; l++)
      for (const a of layers[l]!)
        for (const b of layers[l + 1]!)
          changes.push(edge(`${a}-${b}`, a, b, "r", 0.5 + Number(b.slice(-1)) / 10));
    for (const id of layers[2]!) changes.push(edge(`${id}-T`, id, "T", "r", 0.7));
    const g = graphWith(...changes);
    const found = g.paths("S", "T");
    expect(found).toHaveLength(20);
    for (let i = 1; i < found.length; i++)
      expect(found[i]!.strength).toBeLessThanOrEqual(found[i - 1]!.strength);
    expect(found[0]!.strength).toBeCloseTo(0.9 * 0.9 * 0.9 * 0.7, 12);
    expect(g.paths("S", "T", { maxDepth: 3 })).toEqual([]);
    expect(g.paths("S", "T", { limit: 1000 })).toHaveLength(125);
  });

  it("clamps maxDepth to at most 8 edges", () => {
    const chain = graphWith(
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => put(`c${i}`)),
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => edge(`c${i}c${i + 1}`, `c${i}`, `c${i + 1}`)),
    );
    expect(chain.paths("c0", "c8", { maxDepth: 8 })).toHaveLength(1);
    expect(chain.paths("c0", "c8", { maxDepth: 7 })).toEqual([]);
    expect(chain.paths("c0", "c9", { maxDepth: 9 })).toEqual([]);
    expect(chain.paths("c0", "c9", { maxDepth: 100 })).toEqual([]);
    expect(chain.paths("c0", "c1", { maxDepth: 0 })).toHaveLength(1);
    expect(chain.paths("c0", "c2", { maxDepth: -1 })).toEqual([]);
  });

  it("has no paths for unknown or equal endpoints or unreachable targets", () => {
    const g = build();
    expect(g.paths("S", "S")).toEqual([]);
    expect(g.paths("S", "NOPE")).toEqual([]);
    expect(g.paths("NOPE", "T")).toEqual([]);
    expect(g.paths("Z", "S")).toEqual([]);
  });

  it("treats non-numeric limit and maxDepth like the defaults", () => {
    const g = build();
    const all = g.paths("S", "T");
    expect(g.paths("S", "T", { limit: Number.NaN })).toEqual(all);
    // A 7-edge chain: beyond the default depth of 4, so a NaN depth must not lift the bound.
    const chain = graphWith(
      ...["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"].map((id) => put(id)),
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => edge(`c${i}c${i + 1}`, `c${i}`, `c${i + 1}`)),
    );
    expect(chain.paths("c0", "c7", { maxDepth: 8 })).toHaveLength(1);
    expect(chain.paths("c0", "c7")).toEqual([]);
    expect(chain.paths("c0", "c7", { maxDepth: Number.NaN })).toEqual([]);
  });
});

describe("nodesByType", () => {
  it("lists the nodes of a type and nothing for unknown types", () => {
    const g = graphWith(put("A", "stock"), put("B", "stock"), put("C", "sector"));
    expect(ids(g.nodesByType("stock"))).toEqual(["A", "B"]);
    expect(g.nodesByType("stock")[0]).toBe(g.getNode(g.nodesByType("stock")[0]!.id));
    expect(ids(g.nodesByType("sector"))).toEqual(["C"]);
    expect(g.nodesByType("nope")).toEqual([]);
    expect([...g.nodeTypes()].sort()).toEqual(["sector", "stock"]);
  });
});

describe("nodesByPatternType", () => {
  it("collects nodes named by patterns of the type, by id, ignoring unknown ids", () => {
    const g = graphWith(
      ...["CPI", "GDP", "AAPL", "FED", "BONDS", "RATES", "OTHER"].map((id) => put(id)),
      putPattern("p1", {
        type: "SHIFT",
        trigger_conditions: ["GDP > 3%", "CPI.data.yoy > 4", "GHOST > 1", "bad"],
      }),
      putPattern("p2", {
        type: "SHIFT",
        nodes: ["AAPL", "MISSING", "CPI"],
        from: "FED",
        to: "BONDS",
        via: "RATES",
      }),
      putPattern("p3", { type: "ELSE", nodes: ["OTHER"] }),
      putPattern("p4", { nodes: ["OTHER"] }),
    );
    expect(g.nodesByPatternType("SHIFT").map((n) => n.id)).toEqual([
      "AAPL",
      "BONDS",
      "CPI",
      "FED",
      "GDP",
      "RATES",
    ]);
    expect(g.nodesByPatternType("ELSE").map((n) => n.id)).toEqual(["OTHER"]);
    expect(g.nodesByPatternType("NONE")).toEqual([]);
    g.apply([delNode("CPI")]);
    expect(g.nodesByPatternType("SHIFT").map((n) => n.id)).toEqual(["AAPL", "BONDS", "FED", "GDP", "RATES"]);
    g.apply([delPattern("p2")]);
    expect(g.nodesByPatternType("SHIFT").map((n) => n.id)).toEqual(["GDP"]);
  });

  it("handles each naming field on its own", () => {
    for (const field of ["from", "to", "via"] as const) {
      const g = graphWith(put("N"), putPattern("p", { type: "T", [field]: "N" }));
      expect(
        g.nodesByPatternType("T").map((n) => n.id),
        field,
      ).toEqual(["N"]);
    }
  });
});

describe("evaluatePatterns", () => {
  it("evaluates every pattern against current node values", () => {
    const g = graphWith(
      put("CPI", "indicator", { value: 4.5 }),
      put("GDP", "indicator", { value: 2 }),
      putPattern("hot", { type: "REGIME_SHIFT", trigger_conditions: ["CPI > 4%", "GDP > 3%"] }),
      putPattern("cool", { trigger_conditions: ["CPI < 5"] }),
      putPattern("empty", { type: "E" }),
    );
    const byId = () => Object.fromEntries(g.evaluatePatterns().map((e) => [e.id, e]));
    expect(byId().hot).toEqual({
      id: "hot",
      type: "REGIME_SHIFT",
      triggered: false,
      conditions: [
        { expr: "CPI > 4%", value: 4.5, result: true },
        { expr: "GDP > 3%", value: 2, result: false },
      ],
    });
    expect(byId().cool).toMatchObject({ type: null, triggered: true });
    expect(byId().empty).toMatchObject({ triggered: false, conditions: [] });
    g.apply([patch("GDP", { value: 3.5 })]);
    expect(byId().hot!.triggered).toBe(true);
    g.apply([delNode("GDP")]);
    expect(byId().hot!.triggered).toBe(false);
    expect(byId().hot!.conditions[1]).toEqual({ expr: "GDP > 3%", value: null, result: null });
    expect(g.evaluatePatterns()).toHaveLength(3);
  });
});

describe("stats", () => {
  it("is all zeros for an empty graph", () => {
    expect(new KnowledgeGraph().stats()).toEqual({
      total_nodes: 0,
      total_edges: 0,
      total_patterns: 0,
      node_types: {},
      edge_types: {},
      avg_connections: 0,
    });
  });

  it("counts nodes, edges, patterns and types, with sorted type keys", () => {
    const g = graphWith(
      put("A", "z"),
      put("B", "a"),
      put("C", "a"),
      put("D", "m"),
      edge("1", "A", "B", "y"),
      edge("2", "B", "C", "b"),
      edge("3", "C", "D", "y"),
      putPattern("p", {}),
    );
    const s = g.stats();
    expect(s).toEqual({
      total_nodes: 4,
      total_edges: 3,
      total_patterns: 1,
      node_types: { a: 2, m: 1, z: 1 },
      edge_types: { b: 1, y: 2 },
      avg_connections: 0.75,
    });
    expect(Object.keys(s.node_types)).toEqual(["a", "m", "z"]);
    expect(Object.keys(s.edge_types)).toEqual(["b", "y"]);
  });
});

describe("seq", () => {
  it("counts applied changes and advanceSeq only moves forward", () => {
    const g = new KnowledgeGraph({ seq: 10 });
    g.apply([put("A"), put("B"), patch("A", { v: 1 })]);
    expect(g.seq).toBe(13);
    g.apply([]);
    expect(g.seq).toBe(13);
    g.advanceSeq(5);
    expect(g.seq).toBe(13);
    g.advanceSeq(20);
    expect(g.seq).toBe(20);
  });
});

describe("sortedNodeIds / sortedEdgeIds", () => {
  it("list ids in UTF-16 code-unit order", () => {
    const idsInOrder = ["B", "a", "b10", "b9", "\u00e9", "\ud83d\ude00", "\ufb33"];
    const g = graphWith(...[...idsInOrder].reverse().map((id) => put(id)));
    g.apply([...idsInOrder].reverse().map((id) => edge(`e${id}`, id, id)));
    expect(g.sortedNodeIds()).toEqual(idsInOrder);
    expect(g.sortedEdgeIds()).toEqual(idsInOrder.map((id) => `e${id}`));
  });

  it("follow adds, removes, failed applies and undo, but not replacements", () => {
    const g = graphWith(put("b"), put("d"), edge("e2", "b", "d"));
    expect(g.sortedNodeIds()).toEqual(["b", "d"]);
    expect(g.sortedEdgeIds()).toEqual(["e2"]);
    g.apply([put("a"), put("c"), edge("e1", "a", "c"), edge("e3", "c", "a")]);
    expect(g.sortedNodeIds()).toEqual(["a", "b", "c", "d"]);
    expect(g.sortedEdgeIds()).toEqual(["e1", "e2", "e3"]);
    g.apply([put("b", "other"), patch("c", { v: 1 })]);
    expect(g.sortedNodeIds()).toEqual(["a", "b", "c", "d"]);
    g.apply([delNode("c")]);
    expect(g.sortedNodeIds()).toEqual(["a", "b", "d"]);
    expect(g.sortedEdgeIds()).toEqual(["e2"]);
    expectCode(() => g.apply([put("z"), edge("e9", "z", "a"), delNode("b"), delEdge("nope")]), "not_found");
    expect(g.sortedNodeIds()).toEqual(["a", "b", "d"]);
    expect(g.sortedEdgeIds()).toEqual(["e2"]);
    g.apply([delEdge("e2")]);
    expect(g.sortedEdgeIds()).toEqual([]);
    const fresh = graphWith(put("b"), put("d"), edge("e2", "b", "d"));
    expect(fresh.sortedNodeIds()).toEqual(["b", "d"]); // fills the cache
    const undoFresh = fresh.apply([put("a"), edge("e1", "a", "b")]);
    expect(fresh.sortedNodeIds()).toEqual(["a", "b", "d"]);
    undoFresh();
    expect(fresh.sortedNodeIds()).toEqual(["b", "d"]);
    expect(fresh.sortedEdgeIds()).toEqual(["e2"]);
  });
});

describe("loading", () => {
  it("loadNode and loadEdge reject duplicates and dangling edges without a seq bump", () => {
    const g = new KnowledgeGraph();
    g.loadNode(nodeRecord("A"));
    g.loadNode(nodeRecord("B"));
    g.loadEdge(edgeRecord("e", "A", "B"));
    g.loadPattern("p", { type: "T" });
    expect(g.seq).toBe(0);
    expectCode(() => g.loadNode(nodeRecord("A")), "conflict");
    expectCode(() => g.loadEdge(edgeRecord("e", "A", "B")), "conflict");
    expectCode(() => g.loadEdge(edgeRecord("f", "A", "X")), "unknown_node");
    expectCode(() => g.loadEdge(edgeRecord("f", "X", "A")), "unknown_node");
    expectCode(() => g.loadPattern("", {}), "invalid_id");
    expect(g.edgeCount).toBe(1);
    expect(ids(g.inEdges("B"))).toEqual(["e"]);
  });
});
