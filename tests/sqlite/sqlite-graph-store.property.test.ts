import {
  type BatchOp,
  type Change,
  DawsosError,
  type GraphReader,
  GraphStore,
  KnowledgeGraph,
  KnowledgeGraphReader,
  ManualClock,
  MemoryStorage,
  readDocument,
} from "@dawsos/core";
import { verifyCanonicalBytes } from "@dawsos/core/format";
import { SqliteGraphStore } from "@dawsos/core/sqlite-store";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

/*
 * Differential test: random sequences of mutations run against the SQLite store and the Node
 * journal store, from the same seed on the same clock. After every step:
 *   - both accept or refuse the step, with the same error code and the same result;
 *   - every read of the SQLite store equals `KnowledgeGraphReader` over a `KnowledgeGraph` fed
 *     the change records the SQLite store committed (pages, influences, neighbours, paths,
 *     pattern evaluation, stats), and its streamed document equals that graph's, byte for byte,
 *     with a valid checksum;
 *   - the Node store's document is the same text too (same content, same seq, same refusals).
 *
 * Ids include characters above U+FFFF and in U+E000–U+FFFF, whose UTF-8 order differs from
 * JavaScript's code-unit order, and a lone surrogate.
 */

const NODE_IDS = ["A", "B", "b", "C", "\u{1F600}", "\uFFFD", "\uD800", "Z9"];
const TYPES = ["stock", "indicator"];
const EDGE_TYPES = ["drives", "favors"];
const PATTERN_IDS = ["p1", "p2", "p3"];

const nodeId = fc.constantFrom(...NODE_IDS);
const strength = fc.integer({ min: 0, max: 4 }).map((n) => n / 4);
const data = fc.record(
  {
    value: fc.integer({ min: -5, max: 5 }),
    name: fc.constantFrom("Apple", "micro", "ÄPFEL"),
    symbol: fc.constantFrom("aapl", "MS"),
  },
  { requiredKeys: [] },
);
const edgeId = fc.constantFrom("e1", "e2", "e3", "e_A_B_drives");
const condition = fc
  .tuple(nodeId, fc.constantFrom(">", "<=", "=="), fc.integer({ min: -3, max: 3 }))
  .map(([id, op, n]) => `${id} ${op} ${n}`);
const pattern = fc.record({
  type: fc.constantFrom("REGIME", "RISK"),
  trigger_conditions: fc.array(condition, { maxLength: 3 }),
  nodes: fc.array(nodeId, { maxLength: 2 }),
});

const batchOp: fc.Arbitrary<BatchOp> = fc.oneof(
  fc.record({ op: fc.constant("put_node"), id: nodeId, type: fc.constantFrom(...TYPES), data }),
  fc.record({ op: fc.constant("patch_node"), id: nodeId, data }),
  fc.record({ op: fc.constant("delete_node"), id: nodeId }),
  fc.record(
    {
      op: fc.constant("add_edge"),
      from: nodeId,
      to: nodeId,
      type: fc.constantFrom(...EDGE_TYPES),
      strength,
      id: edgeId,
    },
    { requiredKeys: ["op", "from", "to", "type", "strength"] },
  ),
  fc.record({ op: fc.constant("delete_edge"), id: edgeId }),
  fc.record({ op: fc.constant("put_pattern"), id: fc.constantFrom(...PATTERN_IDS), pattern }),
  fc.record({ op: fc.constant("delete_pattern"), id: fc.constantFrom(...PATTERN_IDS) }),
) as fc.Arbitrary<BatchOp>;

/** One step: a single mutation method, or a batch (which may fail half-way). */
type Step = { kind: "op"; op: BatchOp } | { kind: "batch"; ops: BatchOp[] };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: batchOp.map((op) => ({ kind: "op" as const, op })) },
  {
    weight: 1,
    arbitrary: fc
      .array(batchOp, { minLength: 1, maxLength: 4 })
      .map((ops) => ({ kind: "batch" as const, ops })),
  },
);

type Store = SqliteGraphStore | GraphStore;

/** Runs a step through the store's own methods; the outcome in comparable form. */
async function run(store: Store, s: Step): Promise<unknown> {
  try {
    if (s.kind === "batch") return { ok: await store.applyBatch(s.ops) };
    const op = s.op;
    switch (op.op) {
      case "put_node":
        return { ok: await store.putNode(op.id, { type: op.type, data: op.data ?? {} }) };
      case "patch_node":
        return { ok: await store.patchNode(op.id, op.data) };
      case "delete_node":
        return { ok: await store.deleteNode(op.id) };
      case "add_edge":
        return { ok: await store.addEdge(op) };
      case "delete_edge":
        return { ok: await store.deleteEdge(op.id) };
      case "put_pattern":
        return { ok: await store.putPattern(op.id, op.pattern as never) };
      case "delete_pattern":
        return { ok: await store.deletePattern(op.id) };
    }
  } catch (err) {
    if (err instanceof DawsosError) return { error: err.code, details: err.details };
    throw err;
  }
  throw new Error("unreachable");
}

async function text(reader: GraphReader): Promise<string> {
  let out = "";
  for await (const chunk of reader.document()) out += chunk;
  return out;
}

/** Every read the API makes, over every id the generators use. */
async function reads(reader: GraphReader): Promise<unknown> {
  const out: Record<string, unknown> = {
    seq: await reader.seq(),
    counts: await reader.counts(),
    stats: await reader.stats(),
    patterns: await reader.patterns(),
    evaluate: await reader.evaluatePatterns(),
    byPatternType: [await reader.nodesByPatternType("REGIME"), await reader.nodesByPatternType("RISK")],
  };
  const pages = async (
    list: (cursor?: string) => Promise<{ items: unknown[]; nextCursor: string | null }>,
  ) => {
    const all: unknown[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await list(cursor);
      all.push(page);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return all;
  };
  out.nodes = await pages((cursor) => reader.listNodes({ limit: 2, cursor }));
  out.stocks = await pages((cursor) => reader.listNodes({ type: "stock", limit: 1, cursor }));
  for (const q of ["a", "MI", "\uD800", "äp"])
    out[`q:${q}`] = await pages((cursor) => reader.listNodes({ q, limit: 2, cursor }));
  out.edges = await pages((cursor) => reader.listEdges({ limit: 2, cursor }));
  out.favors = await pages((cursor) => reader.listEdges({ type: "favors", limit: 1, cursor }));
  for (const id of NODE_IDS) {
    out[`node:${id}`] = await reader.getNode(id);
    out[`from:${id}`] = await reader.listEdges({ from: id, limit: 1000 });
    out[`to:${id}`] = await reader.listEdges({ to: id, type: "drives", limit: 1000 });
    out[`influences:${id}`] = await reader.influences(id);
    for (const direction of ["in", "out", "both"] as const) {
      out[`neighbors:${id}:${direction}`] = await reader.neighbors(id, { direction, depth: 3 });
    }
    out[`neighbors:${id}:drives`] = await reader.neighbors(id, { depth: 2, edgeType: "drives" });
    for (const to of NODE_IDS)
      out[`paths:${id}:${to}`] = await reader.paths(id, to, { maxDepth: 4, limit: 5 });
  }
  for (const id of ["e1", "e2", "e3", "e_A_B_drives"]) out[`edge:${id}`] = await reader.getEdge(id);
  return out;
}

const SEED = {
  version: 2,
  nodes: {
    A: { type: "stock", data: { value: 1, name: "Apple" } },
    B: { type: "indicator", data: { value: 2 } },
    "\u{1F600}": { type: "stock", data: { symbol: "SMILE" } },
  },
  // Fan-out and fan-in from the start, so adjacency order is observable in every history.
  edges: [
    { from: "A", to: "B", type: "drives", strength: 0.5 },
    { from: "A", to: "\u{1F600}", type: "favors", strength: 0.5 },
    { from: "B", to: "\u{1F600}", type: "favors", strength: 0.75 },
    { from: "\u{1F600}", to: "A", type: "drives", strength: 1 },
  ],
  patterns: { p1: { type: "REGIME", trigger_conditions: ["A > 0", "B <= 2"] } },
};

/** How often the histories reached the states that make order observable (checked at the end). */
const coverage = { fanOut: 0, refused: 0 };

describe("SqliteGraphStore reads equal the in-memory graph's over random histories", () => {
  it("after every step", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const clock = new ManualClock("2026-05-01T00:00:00.000Z");
        const db = new BetterSqliteDatabase();
        let model = new KnowledgeGraph();
        const committed: Change[][] = [];
        const sqlite = await SqliteGraphStore.open(db, {
          seed: SEED,
          clock,
          archive: new MemoryStorage(),
          onEvent: (event) => {
            if (event.type === "committed") committed.push([...event.changes]);
          },
        });
        const node = await GraphStore.open(new MemoryStorage(), { seed: SEED, clock });
        model = readDocument(SEED, { now: clock.now().toISOString() }).graph;
        const expected = new KnowledgeGraphReader(() => model);
        try {
          for (const s of steps) {
            clock.advance(1000);
            const a = await run(sqlite, s);
            const b = await run(node, s);
            expect(a).toEqual(b);
            for (const changes of committed.splice(0)) model.apply(changes);
            expect(await reads(sqlite)).toEqual(await reads(expected));
            const doc = await text(sqlite);
            expect(doc).toBe(await text(expected));
            expect(doc).toBe(await text(new KnowledgeGraphReader(node.graph)));
            expect(verifyCanonicalBytes(new TextEncoder().encode(doc))).not.toBeNull();
            if (NODE_IDS.some((id) => model.outEdges(id).length >= 2)) coverage.fanOut++;
            if (committed.length === 0 && "error" in (a as object)) coverage.refused++;
          }
          expect((await sqlite.verify()).ok).toBe(true);
        } finally {
          await node.close();
          db.close();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) },
    );
    // The histories did reach the states that make order and refusals observable.
    expect(coverage.fanOut).toBeGreaterThan(0);
    expect(coverage.refused).toBeGreaterThan(0);
  });
});
