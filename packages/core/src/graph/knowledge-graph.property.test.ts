import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DawsosError, type ErrorCode } from "../errors/errors.ts";
import { parseJsonDocument, readDocument } from "../format/read-document.ts";
import { documentChecksum, verifyCanonicalBytes } from "../format/verify-document.ts";
import { encodeDocument } from "../format/write-document.ts";
import { canonicalJson } from "../integrity/canonical-json.ts";
import { sha256HexSync } from "../integrity/sha256.ts";
import type { Change } from "./changes.ts";
import { KnowledgeGraph } from "./knowledge-graph.ts";
import type { Direction } from "./traversal.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "./types.ts";

// ------------------------------------------------------------------ shared helpers

const TIMES = [
  "2024-12-20T10:00:00.000Z",
  "2024-12-21T11:00:00.000Z",
  "2024-12-22T12:00:00.000Z",
  "2025-01-01T00:00:00.000Z",
];
const CREATED = TIMES[0]!;

const decoder = new TextDecoder();
async function text(graph: KnowledgeGraph): Promise<string> {
  return decoder.decode((await encodeDocument(graph)).bytes);
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Counts as an object with own keys (Object.fromEntries keeps `__proto__` as data). */
function countBy<T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return Object.fromEntries(counts);
}

/**
 * Every index of the graph agrees with a naive recomputation from `nodes()` and `edges()`.
 * `probeIds` are ids that may or may not exist (the generators' alphabet).
 */
function checkIndexes(g: KnowledgeGraph, probeIds: readonly string[], probeTypes: readonly string[]): void {
  const nodes = [...g.nodes()];
  const edges = [...g.edges()];
  const patterns = [...g.patterns()];
  expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
  expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
  expect(g.nodeCount).toBe(nodes.length);
  expect(g.edgeCount).toBe(edges.length);
  expect(g.patternCount).toBe(patterns.length);
  for (const n of nodes) {
    expect(g.getNode(n.id)).toBe(n);
    expect(g.hasNode(n.id)).toBe(true);
  }
  for (const e of edges) {
    expect(g.getEdge(e.id)).toBe(e);
    // No edge has a missing endpoint.
    expect(g.hasNode(e.from)).toBe(true);
    expect(g.hasNode(e.to)).toBe(true);
  }
  for (const id of new Set([...nodes.map((n) => n.id), ...probeIds])) {
    expect(sorted(g.outEdges(id).map((e) => e.id))).toEqual(
      sorted(edges.filter((e) => e.from === id).map((e) => e.id)),
    );
    expect(sorted(g.inEdges(id).map((e) => e.id))).toEqual(
      sorted(edges.filter((e) => e.to === id).map((e) => e.id)),
    );
    if (!g.hasNode(id)) expect(g.getNode(id)).toBeUndefined();
  }
  // The cached id lists (used for pagination and snapshots) follow every add and remove.
  expect(g.sortedNodeIds()).toEqual(nodes.map((n) => n.id).sort());
  expect(g.sortedEdgeIds()).toEqual(edges.map((e) => e.id).sort());
  const types = new Set(nodes.map((n) => n.type));
  expect(sorted(g.nodeTypes())).toEqual(sorted(types));
  for (const type of new Set([...types, ...probeTypes])) {
    expect(sorted(g.nodesByType(type).map((n) => n.id))).toEqual(
      sorted(nodes.filter((n) => n.type === type).map((n) => n.id)),
    );
  }
  const stats = g.stats();
  expect(stats.total_nodes).toBe(nodes.length);
  expect(stats.total_edges).toBe(edges.length);
  expect(stats.total_patterns).toBe(patterns.length);
  expect(stats.node_types).toEqual(countBy(nodes, (n) => n.type));
  expect(stats.edge_types).toEqual(countBy(edges, (e) => e.type));
  expect(stats.avg_connections).toBe(nodes.length === 0 ? 0 : edges.length / nodes.length);
}

/** Object.prototype must never gain or change a property. */
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
function checkNoPollution(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
}

// ------------------------------------------------------------------ a naive model of the graph

interface Model {
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
  patterns: Map<string, Pattern>;
  seq: number;
}

function mergeModel(target: JsonObject, patch: JsonObject): JsonObject {
  const out = new Map(Object.entries(target));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) out.delete(key);
    else if (isObject(value)) {
      const current = out.get(key);
      out.set(key, mergeModel(isObject(current) ? current : {}, value));
    } else out.set(key, value);
  }
  return Object.fromEntries(out);
}

const validUnit = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;

/** Applies a batch to a copy of the model; the predicted error (code and index) or the new model. */
function applyModel(
  model: Model,
  batch: readonly Change[],
): { error: { code: ErrorCode; index: number } } | { model: Model } {
  const m: Model = {
    nodes: new Map(model.nodes),
    edges: new Map(model.edges),
    patterns: new Map(model.patterns),
    seq: model.seq,
  };
  for (let index = 0; index < batch.length; index++) {
    const c = batch[index]!;
    const fail = (code: ErrorCode) => ({ error: { code, index } });
    switch (c.op) {
      case "put_node":
        if (c.node.id.length === 0) return fail("invalid_id");
        m.nodes.set(c.node.id, c.node);
        break;
      case "patch_node": {
        const previous = m.nodes.get(c.id);
        if (!previous) return fail("not_found");
        m.nodes.set(c.id, { ...previous, data: mergeModel(previous.data, c.data), updated_at: c.at });
        break;
      }
      case "delete_node":
        if (!m.nodes.has(c.id)) return fail("not_found");
        m.nodes.delete(c.id);
        for (const [id, e] of m.edges) if (e.from === c.id || e.to === c.id) m.edges.delete(id);
        break;
      case "add_edge":
        if (!validUnit(c.edge.strength)) return fail("validation_error");
        if (m.edges.has(c.edge.id)) return fail("conflict");
        if (!m.nodes.has(c.edge.from) || !m.nodes.has(c.edge.to)) return fail("unknown_node");
        m.edges.set(c.edge.id, c.edge);
        break;
      case "delete_edge":
        if (!m.edges.delete(c.id)) return fail("not_found");
        break;
      case "put_pattern":
        if (c.pattern.confidence !== undefined && !validUnit(c.pattern.confidence))
          return fail("validation_error");
        m.patterns.set(c.id, c.pattern);
        break;
      case "delete_pattern":
        if (!m.patterns.delete(c.id)) return fail("not_found");
        break;
    }
    m.seq++;
  }
  return { model: m };
}

function expectMatchesModel(g: KnowledgeGraph, model: Model): void {
  expect(g.seq).toBe(model.seq);
  expect(Object.fromEntries([...g.nodes()].map((n) => [n.id, n]))).toEqual(Object.fromEntries(model.nodes));
  expect(Object.fromEntries([...g.edges()].map((e) => [e.id, e]))).toEqual(Object.fromEntries(model.edges));
  expect(Object.fromEntries(g.patterns())).toEqual(Object.fromEntries(model.patterns));
}

// ------------------------------------------------------------------ change generators (small alphabets)

const NODE_IDS = ["a", "b", "c", "__proto__", "constructor"];
const EDGE_IDS = ["e1", "e2", "e3", "__proto__", "constructor"];
const PATTERN_IDS = ["p", "__proto__", "constructor"];
const TYPES = ["t1", "t2", "__proto__", "constructor"];
const PROBE_IDS = [...NODE_IDS, "zz", "", "hasOwnProperty"];

const at = fc.constantFrom(...TIMES);
const nodeId = fc.constantFrom(...NODE_IDS);
const dataKey = fc.constantFrom("value", "x", "y", "__proto__", "constructor", "toString");
const leaf = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const { data } = fc.letrec((tie) => ({
  data: fc.dictionary(dataKey, fc.oneof({ depthSize: "small" }, leaf, tie("data")), { maxKeys: 3 }),
}));

const putNode = fc
  .record({
    id: fc.oneof({ weight: 12, arbitrary: nodeId }, { weight: 1, arbitrary: fc.constant("") }),
    type: fc.constantFrom(...TYPES),
    data,
    at,
  })
  .map(
    ({ id, type, data, at }): Change => ({
      op: "put_node",
      at,
      node: { id, type, data: data as JsonObject, created_at: at, updated_at: at },
    }),
  );
const patchNode = fc
  .record({ id: nodeId, data, at })
  .map(({ id, data, at }): Change => ({ op: "patch_node", at, id, data: data as JsonObject }));
const deleteNode = fc.record({ id: nodeId, at }).map(({ id, at }): Change => ({ op: "delete_node", at, id }));
const addEdge = fc
  .record({
    id: fc.constantFrom(...EDGE_IDS),
    from: fc.oneof({ weight: 8, arbitrary: nodeId }, { weight: 1, arbitrary: fc.constant("zz") }),
    to: fc.oneof({ weight: 8, arbitrary: nodeId }, { weight: 1, arbitrary: fc.constant("zz") }),
    type: fc.constantFrom(...TYPES),
    strength: fc.oneof(
      { weight: 10, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(-0.5, 1.5, Number.NaN) },
    ),
    at,
  })
  .map(
    ({ id, from, to, type, strength, at }): Change => ({
      op: "add_edge",
      at,
      edge: { id, from, to, type, strength, created_at: at },
    }),
  );
const deleteEdge = fc
  .record({ id: fc.constantFrom(...EDGE_IDS), at })
  .map(({ id, at }): Change => ({ op: "delete_edge", at, id }));
const putPattern = fc
  .record({
    id: fc.constantFrom(...PATTERN_IDS),
    type: fc.constantFrom(...TYPES),
    on: nodeId,
    threshold: fc.integer({ min: -3, max: 3 }),
    nodes: fc.subarray(NODE_IDS),
    confidence: fc.oneof(
      { weight: 6, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
      { weight: 1, arbitrary: fc.constant(2) },
    ),
    at,
  })
  .map(
    ({ id, type, on, threshold, nodes, confidence, at }): Change => ({
      op: "put_pattern",
      at,
      id,
      pattern: { type, trigger_conditions: [`${on} > ${threshold}`], nodes, confidence },
    }),
  );
const deletePattern = fc
  .record({ id: fc.constantFrom(...PATTERN_IDS), at })
  .map(({ id, at }): Change => ({ op: "delete_pattern", at, id }));

const change = fc.oneof(
  { weight: 5, arbitrary: putNode },
  { weight: 2, arbitrary: patchNode },
  { weight: 2, arbitrary: deleteNode },
  { weight: 5, arbitrary: addEdge },
  { weight: 2, arbitrary: deleteEdge },
  { weight: 2, arbitrary: putPattern },
  { weight: 1, arbitrary: deletePattern },
);

/** Batches of 1-4 changes, at most ~60 changes in all; `undo` asks to undo and redo the batch. */
const script = fc.array(
  fc.record({ batch: fc.array(change, { minLength: 1, maxLength: 4 }), undo: fc.boolean() }),
  {
    maxLength: 18,
  },
);

// ------------------------------------------------------------------ model-based test

describe("KnowledgeGraph under random change sequences", () => {
  it("keeps its indexes consistent, matches a naive model, and is all-or-nothing", async () => {
    let failures = 0;
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(script, async (steps) => {
        const g = new KnowledgeGraph({ metadata: { created: CREATED } });
        let model: Model = { nodes: new Map(), edges: new Map(), patterns: new Map(), seq: 0 };
        for (const { batch, undo: wantUndo } of steps) {
          const before = await text(g);
          const predicted = applyModel(model, batch);
          let thrown: unknown;
          let undo: (() => void) | undefined;
          try {
            undo = g.apply(batch);
          } catch (err) {
            thrown = err;
          }
          if ("error" in predicted) {
            failures++;
            expect(thrown).toBeInstanceOf(DawsosError);
            expect((thrown as DawsosError).code).toBe(predicted.error.code);
            expect((thrown as DawsosError).changeIndex).toBe(predicted.error.index);
            expect(await text(g)).toBe(before);
          } else {
            successes++;
            expect(thrown).toBeUndefined();
            model = predicted.model;
            expect(g.metadata.modified).toBe(batch[batch.length - 1]!.at);
            if (wantUndo) {
              const after = await text(g);
              undo!();
              expect(await text(g)).toBe(before);
              checkIndexes(g, PROBE_IDS, TYPES);
              g.apply(batch);
              expect(await text(g)).toBe(after);
            }
          }
          expectMatchesModel(g, model);
          checkIndexes(g, PROBE_IDS, TYPES);
          checkNoPollution();
        }
      }),
      { numRuns: 120 },
    );
    // The generators must exercise both outcomes, or the test proves little.
    expect(failures).toBeGreaterThan(50);
    expect(successes).toBeGreaterThan(50);
  });

  it("undoes a successful multi-change apply to the same bytes, whatever came before", async () => {
    let multi = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { maxLength: 30 }),
        fc.array(change, { minLength: 2, maxLength: 12 }),
        async (setup, candidates) => {
          const g = new KnowledgeGraph({ metadata: { created: CREATED } });
          for (const c of setup) {
            try {
              g.apply([c]);
            } catch {
              // invalid or inapplicable in this state: skipped
            }
          }
          const before = await text(g);
          // Keep the candidates that apply in sequence, undoing each one-change apply afterwards.
          const batch: Change[] = [];
          const undos: Array<() => void> = [];
          for (const c of candidates) {
            try {
              undos.push(g.apply([c]));
              batch.push(c);
            } catch {
              // skipped
            }
          }
          const after = await text(g);
          for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
          expect(await text(g)).toBe(before);
          // The same changes as one apply: the same result, and one undo restores the start.
          const undo = g.apply(batch);
          expect(await text(g)).toBe(after);
          undo();
          expect(await text(g)).toBe(before);
          checkIndexes(g, PROBE_IDS, TYPES);
          if (batch.length >= 2) multi++;
        },
      ),
      { numRuns: 150 },
    );
    expect(multi).toBeGreaterThan(50);
  });
});

// ------------------------------------------------------------------ traversals against brute force

const SMALL_NODES = ["n0", "n1", "n2", "n3", "n4", "n5"];
const smallGraph = fc
  .array(
    fc.record({
      from: fc.constantFrom(...SMALL_NODES),
      to: fc.constantFrom(...SMALL_NODES),
      type: fc.constantFrom("r", "s"),
      strength: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true })),
    }),
    { maxLength: 14 },
  )
  .map((edges) => {
    const g = new KnowledgeGraph();
    g.apply([
      ...SMALL_NODES.map(
        (id): Change => ({
          op: "put_node",
          at: CREATED,
          node: { id, type: "t", data: {}, created_at: CREATED, updated_at: CREATED },
        }),
      ),
      ...edges.map(
        (e, i): Change => ({ op: "add_edge", at: CREATED, edge: { id: `e${i}`, ...e, created_at: CREATED } }),
      ),
    ]);
    return g;
  });

function allSimplePaths(g: KnowledgeGraph, from: string, to: string, maxDepth: number) {
  const out: Array<{ edges: string[]; strength: number }> = [];
  const walk = (at: string, visited: string[], edges: string[], strength: number) => {
    if (at === to) {
      out.push({ edges, strength });
      return;
    }
    if (edges.length >= maxDepth) return;
    for (const e of g.edges()) {
      if (e.from === at && !visited.includes(e.to))
        walk(e.to, [...visited, e.to], [...edges, e.id], strength * e.strength);
    }
  };
  if (from !== to) walk(from, [from], [], 1);
  return out;
}

describe("traversals agree with brute force on random graphs", () => {
  it("paths: every simple path within maxDepth, strongest first, strength = product, top-limit", () => {
    fc.assert(
      fc.property(
        smallGraph,
        fc.constantFrom(...SMALL_NODES),
        fc.constantFrom(...SMALL_NODES),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        (g, from, to, maxDepth, limit) => {
          const expected = allSimplePaths(g, from, to, maxDepth);
          const all = g.paths(from, to, { maxDepth, limit: 10_000 });
          expect(sorted(all.map((p) => p.edges.join(",")))).toEqual(
            sorted(expected.map((p) => p.edges.join(","))),
          );
          for (let i = 1; i < all.length; i++)
            expect(all[i]!.strength).toBeLessThanOrEqual(all[i - 1]!.strength);
          for (const p of all) {
            expect(p.nodes[0]).toBe(from);
            expect(p.nodes[p.nodes.length - 1]).toBe(to);
            expect(new Set(p.nodes).size).toBe(p.nodes.length);
            expect(p.edges.length).toBeLessThanOrEqual(maxDepth);
            let product = 1;
            p.edges.forEach((id, i) => {
              const e = g.getEdge(id)!;
              expect([e.from, e.to]).toEqual([p.nodes[i], p.nodes[i + 1]]);
              product *= e.strength;
            });
            expect(p.strength).toBe(product);
          }
          const top = g.paths(from, to, { maxDepth, limit });
          expect(top.map((p) => p.strength)).toEqual(
            expected
              .map((p) => p.strength)
              .sort((a, b) => b - a)
              .slice(0, limit),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("neighbors: exactly the nodes within depth hops, nearest first, and the edges followed", () => {
    fc.assert(
      fc.property(
        smallGraph,
        fc.constantFrom(...SMALL_NODES),
        fc.constantFrom<Direction>("in", "out", "both"),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.constantFrom("r", "s"), { nil: undefined }),
        (g, start, direction, depth, edgeType) => {
          const usable = [...g.edges()].filter((e) => edgeType === undefined || e.type === edgeType);
          const steps = (e: GraphEdge): Array<[string, string]> => {
            const s: Array<[string, string]> = [];
            if (direction !== "in") s.push([e.from, e.to]);
            if (direction !== "out") s.push([e.to, e.from]);
            return s;
          };
          const dist = new Map<string, number>([[start, 0]]);
          for (let hop = 1; hop <= depth; hop++) {
            for (const e of usable)
              for (const [a, b] of steps(e)) if (dist.get(a) === hop - 1 && !dist.has(b)) dist.set(b, hop);
          }
          const result = g.neighbors(start, { direction, depth, edgeType });
          const got = result.nodes.map((n) => n.id);
          expect(sorted(got)).toEqual(sorted([...dist.keys()].filter((id) => id !== start)));
          for (let i = 1; i < got.length; i++)
            expect(dist.get(got[i]!)!).toBeGreaterThanOrEqual(dist.get(got[i - 1]!)!);
          const expectedEdges = usable.filter((e) =>
            steps(e).some(([a]) => dist.has(a) && dist.get(a)! <= depth - 1),
          );
          expect(sorted(result.edges.map((e) => e.id))).toEqual(sorted(expectedEdges.map((e) => e.id)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ document round trip

const anyKey = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "value", "\u2028", "😀", ""),
  },
);
const special = fc.constantFrom(
  -0,
  0,
  1e21,
  1e-7,
  -1e300,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  0.1 + 0.2,
  333333333.3333333,
  "\u0000\u001f\u007f",
  "\u2028\u2029",
  "😀é€",
  "\ud83d\ude00",
  '"\\/',
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ stringUnit: "binary", maxDepth: 1 }),
    special,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(anyKey, tie("v"), { maxKeys: 3 }),
  ),
})).v;
const dataObject = fc.dictionary(anyKey, value, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;
const id = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "hasOwnProperty", "a".repeat(256)) },
);
const typeName = fc.oneof(
  fc.constantFrom("stock", "indicator", "__proto__"),
  fc.string({ minLength: 1, maxLength: 5 }),
);

/** Unknown record fields, including names that plain assignment would not store as data. */
const extraKey = fc.constantFrom("label", "activations", "__proto__", "constructor", "toString");
function defineOwn(target: object, key: string, v: unknown): void {
  Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
}

const randomGraph = fc
  .record({
    nodeIds: fc.uniqueArray(id, { minLength: 1, maxLength: 8 }),
    nodeParts: fc.array(fc.record({ type: typeName, data: dataObject, extraKey, extra: fc.option(value) }), {
      minLength: 8,
      maxLength: 8,
    }),
    edges: fc.uniqueArray(
      fc.record({
        id,
        from: fc.nat(),
        to: fc.nat(),
        type: typeName,
        strength: fc.double({ min: 0, max: 1, noNaN: true }),
        extraKey,
        extra: fc.option(value, { nil: undefined }),
      }),
      { maxLength: 8, selector: (e) => e.id },
    ),
    patterns: fc.uniqueArray(
      fc.record({
        id,
        type: fc.option(typeName, { nil: undefined }),
        conditions: fc.array(fc.string({ maxLength: 12 }), { maxLength: 2 }),
        confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        extra: fc.option(value, { nil: undefined }),
      }),
      { maxLength: 3, selector: (p) => p.id },
    ),
    metadataExtra: fc.option(value, { nil: undefined }),
    forecasts: fc.option(value, { nil: undefined }),
    at: fc.constantFrom(...TIMES),
  })
  .map((r) => {
    const nodes: GraphNode[] = r.nodeIds.map((nid, i) => {
      const part = r.nodeParts[i]!;
      const n: GraphNode = {
        id: nid,
        type: part.type,
        data: part.data,
        created_at: CREATED,
        updated_at: r.at,
      };
      if (part.extra !== null) defineOwn(n, part.extraKey, part.extra);
      return n;
    });
    const edges: GraphEdge[] = r.edges.map((e) => {
      const edge: GraphEdge = {
        id: e.id,
        from: r.nodeIds[e.from % r.nodeIds.length]!,
        to: r.nodeIds[e.to % r.nodeIds.length]!,
        type: e.type,
        strength: e.strength,
        created_at: r.at,
      };
      if (e.extra !== undefined) defineOwn(edge, e.extraKey, e.extra);
      return edge;
    });
    const patterns: Array<[string, Pattern]> = r.patterns.map((p) => {
      const pattern: Pattern = { trigger_conditions: p.conditions, nodes: r.nodeIds.slice(0, 2) };
      if (p.type !== undefined) pattern.type = p.type;
      if (p.confidence !== undefined) pattern.confidence = p.confidence;
      if (p.extra !== undefined) pattern.notes = p.extra;
      return [p.id, pattern];
    });
    return { nodes, edges, patterns, metadataExtra: r.metadataExtra, forecasts: r.forecasts, at: r.at };
  });

type RandomGraph = typeof randomGraph extends fc.Arbitrary<infer T> ? T : never;

function build(spec: RandomGraph, order: "forward" | "reverse" = "forward"): KnowledgeGraph {
  const metadata: JsonObject = { created: CREATED };
  if (spec.metadataExtra !== undefined) metadata.custom = spec.metadataExtra;
  const extras: JsonObject = {};
  if (spec.forecasts !== undefined) extras.forecasts = spec.forecasts;
  const g = new KnowledgeGraph({ metadata, extras });
  const flip = <T>(xs: T[]) => (order === "forward" ? xs : [...xs].reverse());
  g.apply([
    ...flip(spec.nodes).map((node): Change => ({ op: "put_node", at: spec.at, node })),
    ...flip(spec.edges).map((edge): Change => ({ op: "add_edge", at: spec.at, edge })),
    ...flip(spec.patterns).map(
      ([pid, pattern]): Change => ({ op: "put_pattern", at: spec.at, id: pid, pattern }),
    ),
  ]);
  return g;
}

/** What a JSON value looks like after a trip through JSON text (-0 becomes 0). */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe("document round trip of random graphs", () => {
  it("encode -> parse -> read -> encode is byte-identical and the checksum verifies", async () => {
    await fc.assert(
      fc.asyncProperty(randomGraph, async (spec) => {
        const g = build(spec);
        const first = await encodeDocument(g);
        expect(verifyCanonicalBytes(first.bytes)).toBe(first.checksum);
        const parsed = parseJsonDocument(first.bytes, "graph.json") as JsonObject;
        expect(parsed.checksum).toBe(first.checksum);
        // The SPEC definition, checked with an independent RFC 8785 implementation.
        const { checksum: _checksum, ...withoutChecksum } = parsed;
        const canonical = canonicalize(withoutChecksum)!;
        expect(canonicalJson(withoutChecksum)).toBe(canonical);
        expect(sha256HexSync(canonical)).toBe(first.checksum);
        expect(documentChecksum(parsed)).toBe(first.checksum);
        // The file is the canonical text plus newlines and the checksum trailer.
        const fileText = decoder.decode(first.bytes);
        expect(fileText.replaceAll("\n", "")).toBe(
          `${canonical.slice(0, -1)},"checksum":"${first.checksum}"}`,
        );

        const read = readDocument(parsed, { now: TIMES[3]!, file: "graph.json" });
        expect(read.format).toBe("dawsos");
        expect(read.checksum).toBe(first.checksum);
        const second = await encodeDocument(read.graph);
        expect(second.checksum).toBe(first.checksum);
        expect(decoder.decode(second.bytes)).toBe(fileText);
        expect(verifyCanonicalBytes(second.bytes)).toBe(first.checksum);
        checkIndexes(read.graph, [], []);

        // Values survive: unicode, nested objects, __proto__ keys, -0 (as 0), large numbers.
        expect(read.graph.seq).toBe(g.seq);
        for (const n of g.nodes()) expect(read.graph.getNode(n.id)).toEqual(viaJson(n));
        for (const e of g.edges()) expect(read.graph.getEdge(e.id)).toEqual(viaJson(e));
        for (const [pid, p] of g.patterns()) expect(read.graph.getPattern(pid)).toEqual(viaJson(p));
        expect(read.graph.extras).toEqual(viaJson(g.extras));
        expect(read.graph.metadata).toEqual(viaJson(g.metadata));
        expect(read.graph.stats()).toEqual(g.stats());
        checkNoPollution();
      }),
      { numRuns: 150 },
    );
  });

  it("the bytes do not depend on the order records were added in", async () => {
    await fc.assert(
      fc.asyncProperty(randomGraph, async (spec) => {
        const forward = await encodeDocument(build(spec, "forward"));
        const reverse = await encodeDocument(build(spec, "reverse"));
        expect(reverse.checksum).toBe(forward.checksum);
        expect(decoder.decode(reverse.bytes)).toBe(decoder.decode(forward.bytes));
      }),
      { numRuns: 60 },
    );
  });

  it("a flipped byte is never accepted by verifyCanonicalBytes", async () => {
    await fc.assert(
      fc.asyncProperty(randomGraph, fc.nat(), fc.integer({ min: 1, max: 255 }), async (spec, where, mask) => {
        const { bytes } = await encodeDocument(build(spec));
        const copy = bytes.slice();
        const at = where % copy.length;
        copy[at] = copy[at]! ^ mask;
        // Flipping a newline into another whitespace byte or vice versa changes what is hashed too,
        // except a trailing newline turned into other trailing whitespace.
        const trailingWhitespace = at === copy.length - 1 && [0x20, 0x0d, 0x09, 0x0a].includes(copy[at]!);
        if (!trailingWhitespace) expect(verifyCanonicalBytes(copy)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });
});
