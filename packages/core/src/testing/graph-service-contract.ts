import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DawsosError, PreconditionFailed } from "../errors/errors.ts";
import { verifyCanonicalBytes } from "../format/verify-document.ts";
import { canonicalJson } from "../integrity/canonical-json.ts";
import type { GraphReader, LazyGraphService } from "../store/graph-reader.ts";
import type { GraphService } from "../store/graph-service.ts";
import { graphReaderOf } from "../store/knowledge-graph-reader.ts";
import { ManualClock } from "../util/clock.ts";

/**
 * A store under test: one with an in-memory `graph` (read through `KnowledgeGraphReader`), or
 * one read through `GraphReader` (the SQLite store).
 */
export type ContractService = GraphService | LazyGraphService;

/** A service under test, and how to open another one over the same storage. */
export interface OpenedService {
  service: ContractService;
  /** Opens a second instance over the same storage (durability, cross-instance ETags). */
  reopen(): Promise<ContractService>;
  /** Releases what the test made (storage handles, temp dirs). */
  dispose?(): Promise<void>;
}

export interface GraphServiceContractOptions {
  /** Opens a service over fresh, empty storage, seeded with `seed`, on `clock`. */
  open(seed: unknown, clock: ManualClock): Promise<OpenedService>;
}

/** A small graph in the seed format. */
export const CONTRACT_SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5, name: "Gross domestic product" } },
    CPI: { type: "indicator", data: { value: 3.2 } },
    ECONOMIC_REGIME: { type: "regime", data: { current_state: "GOLDILOCKS" } },
    AAPL: { type: "stock", data: { symbol: "AAPL", price: 255.5 } },
  },
  edges: [
    { from: "GDP", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.9 },
    { from: "CPI", to: "ECONOMIC_REGIME", type: "indicates_inflation", strength: 0.8 },
    { from: "ECONOMIC_REGIME", to: "AAPL", type: "favors", strength: 0.6 },
  ],
  patterns: {
    overheating: { type: "REGIME_SHIFT", trigger_conditions: ["CPI > 4%", "GDP > 3%"], confidence: 0.75 },
  },
};

const START = "2026-03-04T05:06:07.000Z";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof DawsosError)) throw new Error(`expected a DawsosError, got ${String(err)}`);
  return err.code;
}

/** How the suite reads a service: its own `GraphReader`, or one over its in-memory graph. */
export function readerOf(service: ContractService): GraphReader {
  return graphReaderOf(service);
}

/** The whole document text, as `GET /api/graph` or an export would produce it. */
export async function documentTextOf(service: ContractService): Promise<string> {
  let text = "";
  for await (const chunk of readerOf(service).document()) text += chunk;
  return text;
}

const documentText = documentTextOf;

/**
 * The one suite every `GraphService` runs (the journal store over memory and files, the bucket
 * store, the Durable Object store): every method, its errors and preconditions, and the record
 * identity that HTTP ETags are computed from — so the stores cannot drift apart. Imports only
 * vitest and core, so it runs under Node and inside workerd alike.
 */
export function runGraphServiceContract(name: string, options: GraphServiceContractOptions): void {
  describe(`GraphService contract: ${name}`, () => {
    let clock: ManualClock;
    let opened: OpenedService;
    let service: ContractService;
    let reader: GraphReader;

    beforeEach(async () => {
      clock = new ManualClock(START);
      opened = await options.open(CONTRACT_SEED, clock);
      service = opened.service;
      reader = readerOf(service);
    });
    afterEach(async () => {
      await service.close().catch(() => undefined);
      await opened.dispose?.();
    });

    const tick = () => clock.advance(1000);

    it("opens an empty storage from the seed at seq 0", async () => {
      await service.refresh();
      expect(await reader.counts()).toEqual({ nodes: 4, edges: 3, patterns: 1, seq: 0 });
      expect(await reader.seq()).toBe(0);
      expect((await reader.getEdge("e_GDP_ECONOMIC_REGIME_indicates_growth"))?.strength).toBe(0.9);
      expect(service.recovery).toBeNull();
    });

    it("putNode creates, then replaces keeping created_at and unknown fields; seq counts changes", async () => {
      tick();
      const first = await service.putNode("MSFT", { type: "stock", data: { price: 1 } });
      expect(first.created).toBe(true);
      expect(first.node).toMatchObject({
        id: "MSFT",
        type: "stock",
        data: { price: 1 },
        created_at: clock.now().toISOString(),
      });
      const created = first.node.created_at;
      tick();
      const second = await service.putNode("MSFT", { type: "stock", data: { price: 2 } });
      expect(second.created).toBe(false);
      expect(second.node.created_at).toBe(created);
      expect(second.node.updated_at).toBe(clock.now().toISOString());
      await service.refresh();
      expect(await reader.seq()).toBe(2);
      expect((await reader.getNode("MSFT"))?.data).toEqual({ price: 2 });
    });

    it("patchNode merges (null removes), returns the merged node, and is not_found for a missing node", async () => {
      const node = await service.patchNode("AAPL", { price: 260, symbol: null, extra: { a: 1 } });
      expect(node.data).toEqual({ price: 260, extra: { a: 1 } });
      expect(await codeOf(service.patchNode("NOPE", { a: 1 }))).toBe("not_found");
    });

    it("deleteNode removes the node and its edges; not_found when absent", async () => {
      await service.deleteNode("ECONOMIC_REGIME");
      await service.refresh();
      expect(await reader.getNode("ECONOMIC_REGIME")).toBeUndefined();
      expect((await reader.counts()).edges).toBe(0);
      expect((await reader.listEdges()).items).toEqual([]);
      expect(await reader.influences("AAPL")).toEqual([]);
      expect(await codeOf(service.deleteNode("ECONOMIC_REGIME"))).toBe("not_found");
    });

    it("addEdge derives ids, refuses unknown nodes and duplicate ids; deleteEdge", async () => {
      const edge = await service.addEdge({ from: "GDP", to: "AAPL", type: "drives", strength: 0.4 });
      expect(edge.id).toBe("e_GDP_AAPL_drives");
      const again = await service.addEdge({ from: "GDP", to: "AAPL", type: "drives" });
      expect(again.id).toBe("e_GDP_AAPL_drives_2");
      expect(again.strength).toBe(1);
      expect(await codeOf(service.addEdge({ from: "GDP", to: "NOPE", type: "x" }))).toBe("unknown_node");
      expect(await codeOf(service.addEdge({ id: edge.id, from: "GDP", to: "CPI", type: "x" }))).toBe(
        "conflict",
      );
      expect(await codeOf(service.addEdge({ from: "GDP", to: "CPI", type: "x", strength: 2 }))).toBe(
        "validation_error",
      );
      await service.deleteEdge(edge.id);
      expect(await codeOf(service.deleteEdge(edge.id))).toBe("not_found");
      await service.refresh();
      expect((await reader.influences("AAPL")).map((i) => i.id)).toEqual([
        "e_GDP_AAPL_drives_2",
        "e_ECONOMIC_REGIME_AAPL_favors",
      ]);
    });

    it("putPattern reports created; deletePattern; not_found when absent", async () => {
      expect(await service.putPattern("p2", { type: "X", trigger_conditions: ["GDP > 1"] })).toEqual({
        created: true,
      });
      expect(await service.putPattern("p2", { type: "Y" })).toEqual({ created: false });
      await service.deletePattern("p2");
      expect(await codeOf(service.deletePattern("p2"))).toBe("not_found");
    });

    it("applyBatch is all or nothing and names the failing op's index", async () => {
      const before = await documentText(service);
      const err = await service
        .applyBatch([
          { op: "put_node", id: "X", type: "t", data: {} },
          { op: "add_edge", from: "X", to: "NOPE", type: "t" },
        ])
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "validation_error", details: { index: 1, code: "unknown_node" } });
      await service.refresh();
      expect(await documentText(service)).toBe(before);
      const ok = await service.applyBatch([
        { op: "put_node", id: "X", type: "t", data: {} },
        { op: "add_edge", from: "X", to: "GDP", type: "t" },
        { op: "patch_node", id: "X", data: { n: 1 } },
      ]);
      expect(ok).toEqual({ applied: 3, seq: 3 });
    });

    it("refuses values JSON cannot store (non-finite, deeper than 64 levels) and applies nothing", async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 65; i++) deep = [deep];
      const before = await documentText(service);
      expect(await codeOf(service.putNode("X", { type: "t", data: { v: Number.POSITIVE_INFINITY } }))).toBe(
        "validation_error",
      );
      expect(await codeOf(service.patchNode("GDP", { v: deep }))).toBe("validation_error");
      expect(
        await codeOf(service.addEdge({ from: "GDP", to: "CPI", type: "x", metadata: { w: Number.NaN } })),
      ).toBe("validation_error");
      expect(await codeOf(service.putPattern("p", { type: "X", w: Number.NEGATIVE_INFINITY }))).toBe(
        "validation_error",
      );
      await service.refresh();
      expect(await reader.seq()).toBe(0);
      expect(await documentText(service)).toBe(before);
    });

    it("preconditions run against the current graph right before the change; a throw applies nothing", async () => {
      const seen: number[] = [];
      await service.putNode("A", { type: "t" }, { precondition: (graph) => seen.push(graph.seq) });
      expect(seen).toEqual([0]);
      const code = await codeOf(
        service.patchNode(
          "A",
          { x: 1 },
          {
            precondition: () => {
              throw new PreconditionFailed();
            },
          },
        ),
      );
      expect(code).toBe("precondition_failed");
      expect(
        await codeOf(
          service.deleteNode("A", {
            precondition: () => {
              throw new PreconditionFailed();
            },
          }),
        ),
      ).toBe("precondition_failed");
      const seq = await service.commit([], {
        changes: () => [{ op: "patch_node", at: clock.now().toISOString(), id: "A", data: { y: 2 } }],
      });
      expect(seq).toBe(2);
      await service.refresh();
      expect((await reader.getNode("A"))?.data).toEqual({ y: 2 });
    });

    it("records are identical across instances (what makes ETags the same everywhere), and survive a reopen", async () => {
      const { node } = await service.putNode("MSFT", {
        type: "stock",
        data: { price: 1, nested: { a: [1, 2] } },
      });
      await service.patchNode("MSFT", { nested: { b: true } });
      await service.putPattern("p9", { type: "X", nodes: ["MSFT"] });
      await service.refresh();
      const stored = (await reader.getNode("MSFT"))!;
      expect(canonicalJson(node)).not.toBe(canonicalJson(stored));
      const other = await opened.reopen();
      try {
        await other.refresh();
        const otherReader = readerOf(other);
        expect(canonicalJson(await otherReader.getNode("MSFT"))).toBe(canonicalJson(stored));
        expect(await otherReader.seq()).toBe(await reader.seq());
        expect(await documentText(other)).toBe(await documentText(service));
      } finally {
        if (other !== service) await other.close().catch(() => undefined);
      }
    });

    it("versions: saved with timestamp ids newest first, restored after a backup of the current state", async () => {
      await service.putNode("V1", { type: "t" });
      const v1 = await service.saveVersion();
      expect(v1.id).toBe("20260304_050607");
      expect(v1.checksum).toMatch(/^[0-9a-f]{64}$/);
      await service.putNode("V2", { type: "t" });
      const v2 = await service.saveVersion();
      expect(v2.id).toBe("20260304_050607-2");
      expect((await service.listVersions()).map((v) => v.id)).toEqual([v2.id, v1.id]);
      expect((await service.listVersions())[1]!.checksum).toBe(v1.checksum);
      const backupsBefore = (await service.listBackups()).length;
      const stats = await service.restoreVersion(v1.id);
      expect(stats.total_nodes).toBe(5);
      await service.refresh();
      expect(await reader.getNode("V2")).toBeUndefined();
      expect(await reader.getNode("V1")).toBeDefined();
      expect((await service.listBackups()).length).toBe(backupsBefore + 1);
      expect(await codeOf(service.restoreVersion("../x"))).toBe("invalid_id");
      expect(await codeOf(service.restoreVersion("20990101_000000"))).toBe("not_found");
    });

    it("backups: made, listed newest first, restored (a safety backup first) and deleted", async () => {
      await service.putNode("B1", { type: "t" });
      const b1 = await service.backup();
      expect(b1.id).toMatch(/^\d{8}_\d{6}(-\d+)?$/);
      expect(b1.files.map((f) => f.name)).toContain("graph.json");
      await service.putNode("AFTER", { type: "t" });
      const b2 = await service.backup();
      expect((await service.listBackups()).map((b) => b.id)).toEqual([b2.id, b1.id]);
      await service.restoreBackup(b1.id);
      await service.refresh();
      expect(await reader.getNode("B1")).toBeDefined();
      expect(await reader.getNode("AFTER")).toBeUndefined();
      const listed = await service.listBackups();
      expect(listed.length).toBe(3);
      await service.restoreBackup(listed[0]!.id);
      await service.refresh();
      expect(await reader.getNode("AFTER")).toBeDefined();
      await service.deleteBackup(b2.id);
      expect((await service.listBackups()).map((b) => b.id)).not.toContain(b2.id);
      expect(await codeOf(service.deleteBackup(b2.id))).toBe("not_found");
      expect(await codeOf(service.restoreBackup("nope"))).toBe("invalid_id");
      expect(await codeOf(service.restoreBackup("20990101_000000"))).toBe("not_found");
    });

    it("replaceGraph takes any accepted format, backs up first, checks a checksum and the precondition", async () => {
      const backups = (await service.listBackups()).length;
      const stats = await service.replaceGraph({ nodes: { ONLY: { type: "t", data: {} } }, edges: [] });
      expect(stats.total_nodes).toBe(1);
      await service.refresh();
      expect(await reader.seq()).toBeGreaterThan(0);
      expect((await reader.listNodes()).items.map((n) => n.id)).toEqual(["ONLY"]);
      expect((await service.listBackups()).length).toBe(backups + 1);
      const bad = {
        version: 2,
        seq: 1,
        nodes: {},
        edges: [],
        patterns: {},
        metadata: {},
        checksum: "0".repeat(64),
      };
      expect(await codeOf(service.replaceGraph(bad))).toBe("validation_error");
      expect(
        await codeOf(service.replaceGraph({ nodes: { A: { type: "t", data: { x: Number.NaN } } } })),
      ).toBe("validation_error");
      expect(
        await codeOf(
          service.replaceGraph(
            { nodes: {} },
            {
              precondition: () => {
                throw new PreconditionFailed();
              },
            },
          ),
        ),
      ).toBe("precondition_failed");
      expect((await service.listBackups()).length).toBe(backups + 1);
    });

    it("reads: pages by id, filters by type and q, adjacency, traversals, patterns, stats", async () => {
      await service.applyBatch([
        { op: "put_node", id: "MSFT", type: "stock", data: { symbol: "MSFT", name: "Microsoft" } },
        { op: "put_node", id: "NVDA", type: "stock", data: { symbol: "NVDA" } },
        { op: "add_edge", from: "ECONOMIC_REGIME", to: "MSFT", type: "favors", strength: 0.5 },
        { op: "add_edge", from: "MSFT", to: "AAPL", type: "competes", strength: 0.5 },
      ]);
      await service.refresh();
      const first = await reader.listNodes({ limit: 2 });
      expect(first.items.map((n) => n.id)).toEqual(["AAPL", "CPI"]);
      expect(first.nextCursor).toBe("CPI");
      const rest = await reader.listNodes({ limit: 10, cursor: first.nextCursor! });
      expect(rest.items.map((n) => n.id)).toEqual(["ECONOMIC_REGIME", "GDP", "MSFT", "NVDA"]);
      expect(rest.nextCursor).toBeNull();
      const stocks = await reader.listNodes({ type: "stock", limit: 2 });
      expect(stocks).toEqual({
        items: [expect.objectContaining({ id: "AAPL" }), expect.objectContaining({ id: "MSFT" })],
        nextCursor: "MSFT",
      });
      expect((await reader.listNodes({ q: "micro" })).items.map((n) => n.id)).toEqual(["MSFT"]);
      expect((await reader.listNodes({ q: "nvd" })).items.map((n) => n.id)).toEqual(["NVDA"]);
      expect((await reader.listNodes({ q: "gross DOMESTIC" })).items.map((n) => n.id)).toEqual(["GDP"]);
      expect((await reader.listEdges({ to: "AAPL" })).items.map((e) => e.id)).toEqual([
        "e_ECONOMIC_REGIME_AAPL_favors",
        "e_MSFT_AAPL_competes",
      ]);
      expect((await reader.listEdges({ from: "ECONOMIC_REGIME", type: "favors", limit: 1 })).nextCursor).toBe(
        "e_ECONOMIC_REGIME_AAPL_favors",
      );
      expect((await reader.influences("AAPL")).map((i) => [i.from, i.strength])).toEqual([
        ["ECONOMIC_REGIME", 0.6],
        ["MSFT", 0.5],
      ]);
      const around = await reader.neighbors("ECONOMIC_REGIME", { direction: "out", depth: 2 });
      expect(around.nodes.map((n) => n.id)).toEqual(["AAPL", "MSFT"]);
      expect(around.edges.map((e) => e.id)).toEqual([
        "e_ECONOMIC_REGIME_AAPL_favors",
        "e_ECONOMIC_REGIME_MSFT_favors",
        "e_MSFT_AAPL_competes",
      ]);
      const found = await reader.paths("GDP", "AAPL");
      expect(found.map((p) => p.nodes)).toEqual([
        ["GDP", "ECONOMIC_REGIME", "AAPL"],
        ["GDP", "ECONOMIC_REGIME", "MSFT", "AAPL"],
      ]);
      expect(found[0]!.strength).toBeCloseTo(0.54);
      await service.patchNode("CPI", { value: 5 });
      await service.patchNode("GDP", { value: 3.5 });
      await service.refresh();
      expect(await reader.evaluatePatterns()).toEqual([
        {
          id: "overheating",
          type: "REGIME_SHIFT",
          triggered: true,
          conditions: [
            { expr: "CPI > 4%", value: 5, result: true },
            { expr: "GDP > 3%", value: 3.5, result: true },
          ],
        },
      ]);
      expect((await reader.nodesByPatternType("REGIME_SHIFT")).map((n) => n.id)).toEqual(["CPI", "GDP"]);
      expect((await reader.patterns()).map(([id]) => id)).toEqual(["overheating"]);
      expect(await reader.stats()).toMatchObject({
        total_nodes: 6,
        total_edges: 5,
        total_patterns: 1,
        node_types: { indicator: 2, regime: 1, stock: 3 },
        edge_types: { competes: 1, favors: 2, indicates_growth: 1, indicates_inflation: 1 },
      });
      const text = await documentText(service);
      const doc = JSON.parse(text) as { seq: number; metadata: { stats: unknown } };
      expect(doc.seq).toBe(await reader.seq());
      expect(verifyCanonicalBytes(new TextEncoder().encode(text))).toMatch(/^[0-9a-f]{64}$/);
    });

    it("verify reports a healthy storage", async () => {
      await service.putNode("X", { type: "t" });
      await service.saveVersion();
      await service.backup();
      const report = await service.verify();
      expect(report.ok, JSON.stringify(report.files.filter((f) => !f.ok))).toBe(true);
      expect(report.files.length).toBeGreaterThan(0);
    });

    it("refuses writes after close", async () => {
      await service.close();
      expect(await codeOf(service.putNode("X", { type: "t" }))).toMatch(/storage_error|read_only/);
    });
  });
}
