/**
 * What the Durable Object's store archives is what the Node side reads: a version and a backup
 * saved by `SqliteGraphStore` (over better-sqlite3) into an `FsStorage` laid out as a storage
 * directory pass the real `dawsos verify`, and `dawsos import` of the version file reproduces
 * the graph; a corrupted copy of the version fails both.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GraphStore, ManualClock } from "@dawsos/core";
import { SqliteGraphStore } from "@dawsos/core/sqlite-store";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import { describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";
import { type CliResult, makeTempDir, runCli } from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses({ killAfterEach: false });

const NODES = 400;
const cli = (dir: string, ...args: string[]) => runCli(["--dir", dir, ...args]);
const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
const literal = (s: string) => s.replace(/[.]/g, "\\.");

/** A storage directory as the Node server leaves it (seeded graph.json, lock released). */
async function storageDir(): Promise<string> {
  const dir = await makeTempDir("dawsos-sqlite-archive-");
  const storage = await FsStorage.open(dir, { lock: true });
  await (await GraphStore.open(storage, { hasher: nodeSha256 })).close();
  await storage.close();
  return dir;
}

/** A graph in the SQLite store, with unicode ids, unknown members and patterns, archived into `dir`. */
async function archiveFromSqlite(dir: string) {
  const archive = await FsStorage.open(dir, { lock: true });
  const db = new BetterSqliteDatabase();
  try {
    const store = await SqliteGraphStore.open(db, {
      archive,
      hasher: nodeSha256,
      clock: new ManualClock("2026-03-04T05:06:07.000Z"),
    });
    const nodes: Record<string, unknown> = {};
    for (let i = 0; i < NODES; i++) {
      nodes[`N${i}`] = { type: `t${i % 5}`, data: { name: `Nœud ${i} 📈`, value: i / 3 }, note: { i } };
    }
    const edges = Array.from({ length: NODES }, (_, i) => ({
      from: `N${i}`,
      to: `N${(i * 13 + 1) % NODES}`,
      type: "feeds",
      strength: 0.25,
    }));
    await store.replaceGraph({
      version: 2,
      nodes,
      edges,
      patterns: { p: { type: "P", description: "d", trigger_conditions: ["N1 > 0"], confidence: 0.5 } },
      forecasts: { horizon: "1y" },
    });
    await store.putNode("LATEST", { type: "t", data: { at: "end" } });
    const version = await store.saveVersion();
    const backup = await store.backup();
    const counts = await store.counts();
    await store.close();
    return { version, backup, counts };
  } finally {
    db.close();
    await archive.close();
  }
}

describe("a version saved by SqliteGraphStore into a storage directory", () => {
  it("passes `dawsos verify`, and `dawsos import` of it reproduces the graph", async () => {
    const dir = await storageDir();
    const { version, backup, counts } = await archiveFromSqlite(dir);
    const file = `graph_${version.id}.json`;

    const verified = await cli(dir, "verify");
    expect(verified.code, show(verified)).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^ok\\s+${literal(file)}`, "m"));
    expect(verified.stdout).toMatch(new RegExp(`^ok\\s+backups/${backup.id}`, "m"));
    expect(verified.stdout).not.toMatch(/DAMAGED/);

    const imported = await cli(dir, "import", join(dir, file));
    expect(imported.code, show(imported)).toBe(0);
    const stats = await cli(dir, "stats");
    expect(stats.code, show(stats)).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      total_nodes: counts.nodes,
      total_edges: counts.edges,
      total_patterns: counts.patterns,
    });
    // The Node store's own document of the imported graph has the same records.
    const exported = await cli(dir, "export");
    expect(exported.code, show(exported)).toBe(0);
    const doc = JSON.parse(exported.stdout);
    const archived = JSON.parse(readFileSync(join(dir, file), "utf8"));
    expect(doc.nodes).toEqual(archived.nodes);
    expect(doc.edges).toEqual(archived.edges);
    expect(doc.forecasts).toEqual({ horizon: "1y" });
  });

  it("a corrupted copy fails `dawsos verify` (naming it) and `dawsos import` (changing nothing)", async () => {
    const dir = await storageDir();
    const { version } = await archiveFromSqlite(dir);
    const good = join(dir, `graph_${version.id}.json`);
    const badName = "graph_20200101_000000.json";
    copyFileSync(good, join(dir, badName));
    const bytes = readFileSync(join(dir, badName));
    const at = bytes.indexOf("Nœud 200");
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0x20; // "N" → "n": still valid JSON, different content
    writeFileSync(join(dir, badName), bytes);

    const verified = await cli(dir, "verify");
    expect(verified.code, show(verified)).toBe(1);
    expect(verified.stdout).toMatch(new RegExp(`^DAMAGED\\s+${literal(badName)}\\b.*checksum`, "m"));
    expect(verified.stdout).toMatch(new RegExp(`^ok\\s+graph_${version.id}\\.json`, "m"));

    const before = await cli(dir, "stats");
    const imported = await cli(dir, "import", join(dir, badName));
    expect(imported.code, show(imported)).not.toBe(0);
    expect((await cli(dir, "stats")).stdout).toBe(before.stdout);
  });
});
