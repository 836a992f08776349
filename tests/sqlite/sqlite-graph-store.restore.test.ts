/**
 * Restore into the SQLite store streams the archived document record by record into the shadow
 * tables (never loading it into a `KnowledgeGraph`), verifies its checksums on the way, and
 * swaps only when all of it verified: any failure midway leaves the live graph, its seq and the
 * backups exactly as they were.
 */
import { createHash } from "node:crypto";
import { type DawsosError, ManualClock, MemoryStorage } from "@dawsos/core";
import { SqliteGraphStore, type SqliteStoreEvent, TABLES_CHECK_KEY } from "@dawsos/core/sqlite-store";
import { GraphArchive } from "@dawsos/core/store";
import { CONTRACT_SEED, documentTextOf } from "@dawsos/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

const NOW = "2026-02-03T04:05:06.000Z";
const NODES = 3000;
const EDGES = 6000;
const CHUNK_ROWS = 250;

/**
 * The archive: memory, streaming in 4 KiB chunks. `failAfter` makes the next stream of a key
 * throw after that many chunks (a dropped connection to R2, an I/O error); `pulled` counts the
 * chunks handed out, and `insertsSeen` the SQL inserts issued by the time each was pulled.
 */
class FaultyArchive extends MemoryStorage {
  failAfter: number | null = null;
  pulled = 0;
  insertsAtChunk: number[] = [];
  inserts: () => number = () => 0;

  override async getStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const inner = await super.getStream(key);
    if (!inner) return null;
    const failAfter = this.failAfter;
    this.failAfter = null;
    const self = this;
    return (async function* () {
      let n = 0;
      for await (const chunk of inner) {
        if (failAfter !== null && n === failAfter) throw new Error("injected: the stream broke");
        n++;
        self.pulled++;
        self.insertsAtChunk.push(self.inserts());
        yield chunk;
      }
    })();
  }
}

const dbs: BetterSqliteDatabase[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const db of dbs.splice(0)) db.close();
});

async function open() {
  const db = new BetterSqliteDatabase();
  dbs.push(db);
  let inserts = 0;
  // Not a fault: a probe counting the rows' inserts into either table set.
  db.failOn = (query) => {
    if (/^INSERT INTO g\d_(nodes|edges|patterns) /.test(query)) inserts++;
    return false;
  };
  const archive = new FaultyArchive();
  archive.inserts = () => inserts;
  const events: SqliteStoreEvent[] = [];
  const store = await SqliteGraphStore.open(db, {
    seed: CONTRACT_SEED,
    clock: new ManualClock(NOW),
    archive,
    importChunkRows: CHUNK_ROWS,
    onEvent: (event) => events.push(event),
  });
  return { db, archive, store, events };
}

/** A graph of `NODES` nodes and `EDGES` edges in the seed format, with patterns and an unknown member. */
function generatedDocument() {
  const id = (i: number) => `N${String(i).padStart(5, "0")}`;
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < NODES; i++) {
    nodes[id(i)] = { type: `type${i % 7}`, data: { name: `Node ${i}`, value: i, tags: ["a", i % 3] } };
  }
  const edges = Array.from({ length: EDGES }, (_, i) => ({
    from: id(i % NODES),
    to: id((i * 7 + 1) % NODES),
    type: `rel${i % 5}`,
    strength: (i % 100) / 100,
  }));
  const patterns = {
    p1: { type: "REGIME", description: "one", trigger_conditions: [`${id(1)} > 0`], confidence: 0.5 },
    p2: { type: "OTHER", description: "two", trigger_conditions: [`${id(2)}.data.value >= 2`] },
  };
  return { version: 2, nodes, edges, patterns, forecasts: { horizon: "3m", values: [1, 2, 3] } };
}

/** The document without what a restore changes on purpose (`seq` moves past the current one). */
function contentOf(text: string): unknown {
  const { seq: _seq, checksum: _checksum, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return rest;
}

/** Fails the test if a restore takes the old whole-document path. */
function forbidLoadingWhole() {
  vi.spyOn(GraphArchive.prototype, "loadVersion").mockRejectedValue(new Error("loadVersion was used"));
  vi.spyOn(GraphArchive.prototype, "readBackup").mockRejectedValue(new Error("readBackup was used"));
}

/** A version of the generated graph, then later changes; returns what the restore must reproduce. */
async function versionedStore() {
  const opened = await open();
  const { store } = opened;
  await store.replaceGraph(generatedDocument());
  const version = await store.saveVersion();
  const original = await documentTextOf(store);
  await store.putNode("LATER", { type: "t", data: { x: 1 } });
  await store.deleteNode("N00010");
  await store.patchNode("N00020", { value: -1 });
  return { ...opened, version, original };
}

/** The live state a failed restore must leave exactly as it was. */
async function liveState(store: SqliteGraphStore) {
  return {
    seq: await store.seq(),
    text: await documentTextOf(store),
    backups: (await store.listBackups()).map((b) => b.id),
  };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: DawsosError) => err.code ?? (err as Error).message,
  );

/** Re-signs an edited document text (trailer checksum of the canonical bytes), so only its content is wrong. */
function resign(text: string): string {
  const body = text.replace(/,"checksum":"[0-9a-f]{64}"\}\n$/, "");
  const checksum = createHash("sha256")
    .update(`${body.replaceAll("\n", "")}}`)
    .digest("hex");
  return `${body},"checksum":"${checksum}"}\n`;
}

describe("SqliteGraphStore: streaming restore", () => {
  it(`restores a ${NODES}-node version record by record, equal to the original`, async () => {
    const { store, archive, version, original, events } = await versionedStore();
    const seqBefore = await store.seq();
    const backupsBefore = (await store.listBackups()).map((b) => b.id);
    forbidLoadingWhole();
    archive.pulled = 0;
    archive.insertsAtChunk = [];
    const stats = await store.restoreVersion(version.id);

    expect(stats).toMatchObject({ total_nodes: NODES, total_edges: EDGES, total_patterns: 2 });
    expect(await store.stats()).toEqual(stats);
    expect(contentOf(await documentTextOf(store))).toEqual(contentOf(original));
    expect(await store.seq()).toBe(seqBefore + 1);
    expect(await store.getNode("LATER")).toBeUndefined();
    expect((await store.verify()).ok).toBe(true);
    // Streamed: rows went into the tables while the version was still being read — the first
    // inserts came long before its last chunk (the old path read all of it first).
    expect(archive.pulled).toBeGreaterThan(50);
    const firstInsertAt = archive.insertsAtChunk.findIndex((n) => n > archive.insertsAtChunk[0]!);
    expect(firstInsertAt).toBeGreaterThan(0);
    expect(firstInsertAt).toBeLessThan(archive.pulled / 4);
    const restored = events.filter((e) => e.type === "restored");
    expect(restored).toEqual([
      { type: "restored", from: `graph_${version.id}.json`, backup: expect.any(String), streamed: true },
    ]);
    // The safety backup holds the state just before the restore.
    const safety = (restored[0] as { backup: string }).backup;
    expect((await store.listBackups()).map((b) => b.id)).toEqual([safety, ...backupsBefore]);
    const saved = new TextDecoder().decode((await archive.get(`backups/${safety}/graph.json`))!.body);
    expect(saved).toContain('"LATER":');
  });

  it("restores a backup the same way (manifest SHA-256 checked over the streamed bytes)", async () => {
    const { store, events } = await open();
    await store.replaceGraph(generatedDocument());
    const backup = await store.backup();
    const original = await documentTextOf(store);
    await store.putNode("LATER", { type: "t" });
    const backupsBefore = (await store.listBackups()).length;
    forbidLoadingWhole();
    await store.restoreBackup(backup.id);
    expect(contentOf(await documentTextOf(store))).toEqual(contentOf(original));
    expect(events.filter((e) => e.type === "restored")).toEqual([
      { type: "restored", from: `backups/${backup.id}/`, backup: expect.any(String), streamed: true },
    ]);
    // The backup restored from is kept, plus the safety backup.
    expect((await store.listBackups()).map((b) => b.id)).toContain(backup.id);
    expect((await store.listBackups()).length).toBe(backupsBefore + 1);
  });

  describe("a failure midway leaves the old graph untouched (same seq, same document, no new backup)", () => {
    async function expectUnchanged(
      setup: (ctx: Awaited<ReturnType<typeof versionedStore>>) => Promise<() => Promise<unknown>>,
      code: string,
    ) {
      const ctx = await versionedStore();
      const restore = await setup(ctx);
      const before = await liveState(ctx.store);
      const insertsBefore = ctx.archive.inserts();
      const eventsBefore = ctx.events.length;
      expect(await codeOf(restore())).toBe(code);
      // The import had really started: rows went into the shadow tables before the failure.
      expect(ctx.archive.inserts()).toBeGreaterThan(insertsBefore);
      expect(await liveState(ctx.store)).toEqual(before);
      // The tables are consistent (the archive is not: these tests damage it on purpose).
      const tables = (await ctx.store.verify()).files.find((f) => f.key === TABLES_CHECK_KEY);
      expect(tables).toEqual({ key: TABLES_CHECK_KEY, ok: true });
      expect(ctx.events.slice(eventsBefore)).toEqual([]);
      return ctx;
    }

    it("the archive's stream breaks after some chunks", async () => {
      const ctx = await expectUnchanged(async ({ archive, store, version }) => {
        archive.failAfter = 120;
        return () => store.restoreVersion(version.id);
      }, "injected: the stream broke");
      // Nothing is left behind: the same restore succeeds once the archive works.
      await ctx.store.restoreVersion(ctx.version.id);
      expect(contentOf(await documentTextOf(ctx.store))).toEqual(contentOf(ctx.original));
    });

    it("a line in the middle is not JSON", async () => {
      await expectUnchanged(async ({ archive, store, version }) => {
        const key = `graph_${version.id}.json`;
        const lines = new TextDecoder().decode((await archive.get(key))!.body).split("\n");
        const middle = Math.floor(lines.length / 2);
        lines[middle] = `${lines[middle]!.slice(0, 20)}#`;
        await archive.put(key, lines.join("\n"));
        return () => store.restoreVersion(version.id);
      }, "malformed_json");
    });

    it("a value changed in the middle: every line parses, the trailer checksum does not match", async () => {
      await expectUnchanged(async ({ archive, store, version }) => {
        const key = `graph_${version.id}.json`;
        const text = new TextDecoder().decode((await archive.get(key))!.body);
        const changed = text.replace('"value":1500}', '"value":1501}');
        expect(changed).not.toBe(text);
        await archive.put(key, changed);
        return () => store.restoreVersion(version.id);
      }, "checksum_mismatch");
    });

    it("a correctly signed document whose edge names a missing node", async () => {
      await expectUnchanged(async ({ archive, store, version }) => {
        const key = `graph_${version.id}.json`;
        const text = new TextDecoder().decode((await archive.get(key))!.body);
        const lines = text.split("\n");
        const at = lines.findIndex((l) => l.startsWith('"N01500":'));
        expect(at).toBeGreaterThan(0);
        lines.splice(at, 1);
        await archive.put(key, resign(lines.join("\n")));
        return () => store.restoreVersion(version.id);
      }, "invalid_document");
    });

    it("a backup whose graph was damaged fails its manifest check", async () => {
      await expectUnchanged(async ({ archive, store }) => {
        const backup = await store.backup();
        const key = `backups/${backup.id}/graph.json`;
        const bytes = (await archive.get(key))!.body;
        const at = Math.floor(bytes.length / 2);
        bytes[at] = bytes[at]! ^ 0x20;
        await archive.put(key, bytes);
        return () => store.restoreBackup(backup.id);
      }, "checksum_mismatch");
    });
  });

  it("falls back to loading whole a version not in our line layout (pretty-printed)", async () => {
    const { store, archive, events, version, original } = await versionedStore();
    const key = `graph_${version.id}.json`;
    const pretty = JSON.stringify(
      JSON.parse(new TextDecoder().decode((await archive.get(key))!.body)),
      null,
      2,
    );
    await archive.put(key, pretty);
    await store.restoreVersion(version.id);
    expect(contentOf(await documentTextOf(store))).toEqual(contentOf(original));
    expect(events.filter((e) => e.type === "restored")).toEqual([
      expect.objectContaining({ type: "restored", streamed: false }),
    ]);
  });
});
