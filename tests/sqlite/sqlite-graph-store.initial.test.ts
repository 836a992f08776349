import { KnowledgeGraph, KnowledgeGraphReader, ManualClock, MemoryStorage, readDocument } from "@dawsos/core";
import { SqliteGraphStore, type SqliteStoreEvent } from "@dawsos/core/sqlite-store";
import { CONTRACT_SEED, documentTextOf } from "@dawsos/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

const NOW = "2026-02-03T04:05:06.000Z";
const dbs: BetterSqliteDatabase[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function database(): BetterSqliteDatabase {
  const db = new BetterSqliteDatabase();
  dbs.push(db);
  return db;
}

async function textOf(reader: KnowledgeGraphReader): Promise<string> {
  let text = "";
  for await (const chunk of reader.document()) text += chunk;
  return text;
}

/** A graph at seq 41 with a node, an edge and a pattern, as a migration would hand it over. */
function migratedGraph(): KnowledgeGraph {
  const { graph } = readDocument(
    {
      version: 2,
      seq: 41,
      nodes: { "🚀": { type: "t", data: { a: 1 } }, B: { type: "t", data: {} } },
      edges: [{ from: "🚀", to: "B", type: "x", strength: 0.5 }],
      patterns: { p: { type: "P", trigger_conditions: ["B > 1"] } },
      metadata: { note: "kept" },
      forecasts: { kept: true },
    },
    { file: "migrated", now: NOW },
  );
  return graph;
}

describe("SqliteGraphStore.open({ initial })", () => {
  it("imports the initial graph instead of the seed on new tables, keeping its seq; says so", async () => {
    const db = database();
    const events: SqliteStoreEvent[] = [];
    const graph = migratedGraph();
    const store = await SqliteGraphStore.open(db, {
      archive: new MemoryStorage(),
      seed: CONTRACT_SEED,
      clock: new ManualClock(NOW),
      importChunkRows: 1, // several chunks
      initial: async () => graph,
      onEvent: (e) => events.push(e),
    });
    expect(await store.counts()).toEqual({ nodes: 2, edges: 1, patterns: 1, seq: 41 });
    expect(await documentTextOf(store)).toBe(await textOf(new KnowledgeGraphReader(graph)));
    expect(events).toContainEqual({ type: "initialised", seq: 41, nodes: 2, edges: 1, patterns: 1 });
    expect(events.some((e) => e.type === "seeded")).toBe(false);
    // Existing tables: `initial` is never asked again.
    let asked = 0;
    const again = await SqliteGraphStore.open(db, {
      archive: new MemoryStorage(),
      initial: async () => {
        asked++;
        return new KnowledgeGraph();
      },
    });
    expect(asked).toBe(0);
    expect(await again.seq()).toBe(41);
  });

  it("null means the seed; a throwing `initial` leaves the tables new, so the next open asks again", async () => {
    const seeded = await SqliteGraphStore.open(database(), {
      archive: new MemoryStorage(),
      seed: CONTRACT_SEED,
      initial: async () => null,
    });
    expect(await seeded.counts()).toMatchObject({ nodes: 4, seq: 0 });

    const db = database();
    const failing = SqliteGraphStore.open(db, {
      archive: new MemoryStorage(),
      initial: async () => {
        throw new Error("source unavailable");
      },
    });
    await expect(failing).rejects.toThrow(/source unavailable/);
    const store = await SqliteGraphStore.open(db, {
      archive: new MemoryStorage(),
      seed: CONTRACT_SEED,
      initial: async () => migratedGraph(),
    });
    expect(await store.counts()).toEqual({ nodes: 2, edges: 1, patterns: 1, seq: 41 });
  });
});
