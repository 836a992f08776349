import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  type DawsosError,
  KnowledgeGraphReader,
  ManualClock,
  MemoryStorage,
  readDocument,
  TIMESTAMP_ID,
} from "@dawsos/core";
import { verifyCanonicalBytes } from "@dawsos/core/format";
import { MAX_RECORD_BYTES, SqliteGraphStore } from "@dawsos/core/sqlite-store";
import { CONTRACT_SEED, documentTextOf } from "@dawsos/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";
import { havePythonFixtures, pythonGraphFixtures } from "../support/shared-fixtures.ts";

/** The Python fixture with 2,999 nodes. */
const LARGE = "graph_econ_labor_market.json";

const NOW = "2026-02-03T04:05:06.000Z";
const dbs: BetterSqliteDatabase[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

async function open(options: { seed?: unknown; importChunkRows?: number } = {}) {
  const db = new BetterSqliteDatabase();
  dbs.push(db);
  const archive = new MemoryStorage();
  const store = await SqliteGraphStore.open(db, {
    seed: options.seed ?? CONTRACT_SEED,
    clock: new ManualClock(NOW),
    archive,
    importChunkRows: options.importChunkRows,
  });
  return { db, archive, store };
}

async function textOf(reader: KnowledgeGraphReader): Promise<string> {
  let text = "";
  for await (const chunk of reader.document()) text += chunk;
  return text;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: DawsosError) => err.code,
  );

describe.skipIf(!havePythonFixtures)(
  "files of the original Python DawsOS (../shared) into the SQLite store",
  () => {
    it("includes the 2,999-node graph", () => {
      expect(pythonGraphFixtures().map((f) => basename(f))).toContain(LARGE);
    });

    for (const file of pythonGraphFixtures()) {
      it(`${basename(file)}: imports in chunks with exact counts and the same document as in memory`, async () => {
        const raw = JSON.parse(await readFile(file, "utf8"));
        const { store, db } = await open({ importChunkRows: 250 });
        const before = db.statements;
        const stats = await store.replaceGraph(raw);
        const counts = {
          nodes: Object.keys(raw.nodes).length,
          edges: raw.edges.length,
          patterns: Object.keys(raw.patterns ?? {}).length,
        };
        if (basename(file) === LARGE) expect(counts.nodes).toBe(2999);
        expect(stats).toMatchObject({
          total_nodes: counts.nodes,
          total_edges: counts.edges,
          total_patterns: counts.patterns,
        });
        expect(await store.counts()).toMatchObject(counts);
        // Chunked: several insert statements per table, each within the 100-parameter limit.
        expect(db.statements - before).toBeGreaterThanOrEqual(Math.ceil(counts.nodes / 25));
        const expected = readDocument(raw, { now: NOW }).graph;
        expect(await store.stats()).toEqual(expected.stats());
        for (const id of Object.keys(raw.nodes))
          expect(await store.getNode(id)).toEqual(expected.getNode(id));
        // The same document as the in-memory graph at the same seq; its checksum verifies.
        expected.advanceSeq(await store.seq());
        const text = await documentTextOf(store);
        expect(text).toBe(await textOf(new KnowledgeGraphReader(expected)));
        expect(verifyCanonicalBytes(new TextEncoder().encode(text))).not.toBeNull();
        expect((await store.verify()).ok).toBe(true);
      });
    }
  },
);

describe("chunked import and swap", () => {
  it("runs across several 'requests' (resume by token) and swaps in one step; ETag seq moves past the old one", async () => {
    const { store } = await open();
    const seqBefore = await store.seq();
    const first = store.beginImport();
    first.setDocument({ seq: 0, metadata: { created: NOW } });
    first.addChunk({
      edges: [{ id: "x", from: "N1", to: "N2", type: "t", strength: 0.5, created_at: NOW }],
    });
    const again = store.resumeImport(first.token);
    again.addChunk({
      nodes: ["N1", "N2"].map((id) => ({ id, type: "t", data: {}, created_at: NOW, updated_at: NOW })),
    });
    // Not swapped yet: the live graph serves the old content.
    expect((await store.counts()).nodes).toBe(4);
    const seq = await store.commitImport(again);
    expect(seq).toBe(seqBefore + 1);
    expect(await store.counts()).toEqual({ nodes: 2, edges: 1, patterns: 0, seq });
    expect(await codeOf(Promise.resolve().then(() => store.resumeImport(first.token)))).toBe("not_found");
  });

  it("refuses duplicate ids and dangling edges, and a new import supersedes an open one", async () => {
    const { store } = await open();
    const node = { id: "N", type: "t", data: {}, created_at: NOW, updated_at: NOW };
    const imp = store.beginImport();
    imp.addChunk({ nodes: [node] });
    expect(await codeOf(Promise.resolve().then(() => imp.addChunk({ nodes: [node] })))).toBe("conflict");
    imp.addChunk({ edges: [{ id: "e", from: "N", to: "MISSING", type: "t", strength: 1, created_at: NOW }] });
    expect(await codeOf(store.commitImport(imp))).toBe("validation_error");
    const newer = store.beginImport();
    expect(await codeOf(Promise.resolve().then(() => imp.addChunk({ nodes: [] })))).toBe("conflict");
    newer.abort();
    expect(await store.counts()).toMatchObject({ nodes: 4, edges: 3, patterns: 1 });
  });

  it("an injected failure mid-restore leaves the old graph, byte for byte", async () => {
    const { store, db } = await open({ importChunkRows: 2 });
    await store.putNode("KEEP", { type: "t", data: { v: 1 } });
    const version = await store.saveVersion();
    await store.putNode("LATER", { type: "t" });
    const before = await documentTextOf(store);
    let inserts = 0;
    db.failOn = (query) =>
      /^INSERT INTO g\d_nodes .* VALUES \(\?, \?, \?, \?\), /.test(query) && ++inserts === 2;
    await expect(store.restoreVersion(version.id)).rejects.toThrow(/injected failure/);
    expect(inserts).toBe(2);
    db.failOn = null;
    expect(await documentTextOf(store)).toBe(before);
    expect((await store.verify()).ok).toBe(true);
    // Nothing changed, not even the backups: the safety backup is made only once the version
    // has streamed in and verified. The restore works once the fault is gone, and backs up first.
    expect(await store.listBackups()).toEqual([]);
    await store.restoreVersion(version.id);
    expect((await store.listBackups()).map((b) => b.id)).toEqual([expect.stringMatching(TIMESTAMP_ID)]);
    expect(await store.getNode("LATER")).toBeUndefined();
    expect((await store.getNode("KEEP"))?.data).toEqual({ v: 1 });
  });
});

describe("the 2 MB row limit (Durable Object SQLite)", () => {
  const big = (bytes: number) => "x".repeat(bytes);

  it("refuses a record whose JSON exceeds it with payload_too_large and applies nothing", async () => {
    const { store } = await open();
    const seq = await store.seq();
    expect(await codeOf(store.putNode("BIG", { type: "t", data: { blob: big(MAX_RECORD_BYTES) } }))).toBe(
      "payload_too_large",
    );
    // Growing past it by merge patches is refused the same way.
    await store.putNode("GROW", { type: "t", data: { a: big(MAX_RECORD_BYTES / 2) } });
    expect(await codeOf(store.patchNode("GROW", { b: big(MAX_RECORD_BYTES / 2) }))).toBe("payload_too_large");
    expect(Object.keys((await store.getNode("GROW"))!.data)).toEqual(["a"]);
    // In a batch the failing op is named, and nothing of the batch is applied.
    const err = await store
      .applyBatch([
        { op: "put_node", id: "OK", type: "t", data: {} },
        { op: "put_node", id: "BIG", type: "t", data: { blob: big(MAX_RECORD_BYTES) } },
      ])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "validation_error", details: { index: 1, code: "payload_too_large" } });
    expect(await store.getNode("OK")).toBeUndefined();
    expect(await store.seq()).toBe(seq + 1);
    // Just under the limit is fine (the limit is not off by a lot).
    const fits = await store.putNode("FITS", { type: "t", data: { blob: big(MAX_RECORD_BYTES - 200) } });
    expect(fits.created).toBe(true);
  });
});
