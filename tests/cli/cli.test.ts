/**
 * The `dawsos` operator CLI (SPEC section 7, issue 4) end to end: the built CLI run as a real
 * process on temporary storage directories. Exit codes: 0 ok, 1 failure (verify: damage found),
 * 2 usage, 3 locked by another writer.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { encodeDocument, GraphStore, investmentFrameworkSeed, readDocument } from "@dawsos/core";
import { loadGraphBytes } from "@dawsos/core/store";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLI_JS,
  type CliResult,
  childEnv,
  http,
  makeTempDir,
  runCli,
  spawnNode,
  startServer,
} from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";
import { havePythonFixtures, pythonGraphFixtures } from "../support/shared-fixtures.ts";

/** Documents to import and export targets, outside every storage directory. */
let filesDir = "";

// The tests run concurrently, each on its own directory: CLI runs are always awaited (and killed
// on timeout), servers are stopped by the test that started them; whatever is left is killed at
// the end.
useServerProcesses({ killAfterEach: false });
beforeAll(async () => {
  filesDir = await makeTempDir("dawsos-cli-files-");
});

const NOW = "2026-01-01T00:00:00.000Z";
const COMMANDS = [
  "verify",
  "stats",
  "backup",
  "backups",
  "restore",
  "versions",
  "compact",
  "import",
  "export",
];
const ID = /^\d{8}_\d{6}(-\d+)?$/;
const SEED = {
  nodes: Object.keys(investmentFrameworkSeed.nodes).length,
  edges: investmentFrameworkSeed.edges.length,
  patterns: Object.keys(investmentFrameworkSeed.patterns).length,
};

const cli = (dir: string, ...args: string[]) => runCli(["--dir", dir, ...args]);

/** A CLI result must carry its stderr in failure messages. */
const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

interface Stats {
  total_nodes: number;
  total_edges: number;
  total_patterns: number;
  seq: number;
}

async function stats(dir: string): Promise<Stats> {
  const r = await cli(dir, "stats");
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as Stats;
}

async function backupIds(dir: string): Promise<string[]> {
  const r = await cli(dir, "backups");
  expect(r.code, show(r)).toBe(0);
  return r.stdout
    .split("\n")
    .map((l) => l.split(/\s+/)[0] ?? "")
    .filter((id) => ID.test(id));
}

/** Every file under `dir`: relative path → size, mtime and content hash. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        const hash = createHash("sha1").update(readFileSync(p)).digest("hex");
        out[relative(dir, p)] = `${st.size} ${st.mtimeMs} ${hash}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** Flips one letter's case inside a string value: the JSON stays valid, the checksum does not. */
function flipByte(file: string): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf('"type":"') + '"type":"'.length;
  expect(at).toBeGreaterThan(8);
  bytes[at] = bytes[at]! ^ 0x20;
  writeFileSync(file, bytes);
}

/** A small graph document in our own format (version 2, seq, checksum). */
async function ourFormatDocument(): Promise<{
  bytes: Uint8Array;
  nodes: number;
  edges: number;
  patterns: number;
}> {
  const { graph } = readDocument(
    {
      version: 2,
      nodes: {
        ONE: { id: "ONE", type: "small", data: { value: 1 } },
        TWO: { id: "TWO", type: "small", data: { value: 2 } },
        THREE: { id: "THREE", type: "other", data: { value: 3 } },
      },
      edges: [
        { from: "ONE", to: "TWO", type: "feeds", strength: 0.5 },
        { from: "TWO", to: "THREE", type: "feeds", strength: 0.5 },
      ],
      patterns: {
        p1: { type: "SMALL", description: "one is set", trigger_conditions: ["ONE > 0"], confidence: 0.9 },
      },
    },
    { now: NOW },
  );
  const { bytes } = await encodeDocument(graph, nodeSha256);
  const raw = JSON.parse(new TextDecoder().decode(bytes));
  expect(raw.version).toBe(2);
  expect(raw.checksum).toMatch(/^[0-9a-f]{64}$/);
  return { bytes, nodes: 3, edges: 2, patterns: 1 };
}

/** A small document in the seed format: no seq, no checksum, no timestamps, edges without ids. */
const seedFormatDocument = {
  version: 2,
  nodes: {
    S1: { id: "S1", type: "seedling", data: { name: "First" } },
    S2: { id: "S2", type: "seedling", data: { name: "Second" } },
    S3: { id: "S3", type: "seedling", data: { name: "Third" } },
    S4: { id: "S4", type: "seedling", data: { name: "Fourth" } },
  },
  edges: [
    { from: "S1", to: "S2", type: "grows", strength: 0.3 },
    { from: "S2", to: "S3", type: "grows", strength: 0.6 },
    { from: "S3", to: "S4", type: "grows" },
  ],
  patterns: {},
};

/** Opens the directory with the library (writer) to save a version; returns its id. */
async function saveVersion(dir: string): Promise<string> {
  const storage = await FsStorage.open(dir, { lock: true });
  try {
    const store = await GraphStore.open(storage, { hasher: nodeSha256 });
    try {
      return (await store.saveVersion()).id;
    } finally {
      await store.close();
    }
  } finally {
    await storage.close();
  }
}

/**
 * A directory a server crashed on: journal records not yet folded, a stale `.lock` naming the
 * dead process.
 */
async function crashedServerDir(): Promise<string> {
  const dir = await makeTempDir("dawsos-cli-crashed-");
  const server = await startServer({ storageDir: dir });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await http(server.url, "PUT", `/api/nodes/crash${i}`, { body: { type: "t", data: { i } } });
      expect(res.status).toBe(201);
    }
  } finally {
    server.child.kill("SIGKILL");
    await server.waitForExit(10_000);
  }
  expect(statSync(join(dir, "graph.journal")).size).toBeGreaterThan(0);
  expect(existsSync(join(dir, ".lock"))).toBe(true);
  return dir;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────

describe.concurrent("usage", () => {
  it("--help works for the program and for every command", async () => {
    const dir = join(await makeTempDir("dawsos-cli-help-"), "storage");
    const program = await cli(dir, "--help");
    expect(program.code, show(program)).toBe(0);
    for (const command of COMMANDS) expect(program.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));

    const results = await Promise.all(COMMANDS.map((command) => cli(dir, command, "--help")));
    COMMANDS.forEach((command, i) => {
      const r = results[i]!;
      expect(r.code, `${command} --help\n${show(r)}`).toBe(0);
      expect(r.stdout).toContain(`Usage: dawsos ${command}`);
    });
    // Asking for help touches no storage.
    expect(existsSync(dir)).toBe(false);
  });

  it("usage errors exit 2 with a message and touch nothing", async () => {
    const dir = join(await makeTempDir("dawsos-cli-usage-"), "storage");
    const cases = [
      ["frobnicate"],
      ["restore"],
      ["import"],
      ["stats", "--bogus"],
      ["export", "--out"],
      ["--dir"],
    ];
    const results = await Promise.all(
      cases.map((args) => (args[0] === "--dir" ? runCli(args) : cli(dir, ...args))),
    );
    cases.forEach((args, i) => {
      const r = results[i]!;
      expect(r.code, `${args.join(" ")}\n${show(r)}`).toBe(2);
      expect(r.stderr).toMatch(/error:/);
    });
    expect(results[0]!.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe.concurrent("read commands", () => {
  it("stats prints JSON statistics of a freshly seeded directory; progress goes to stderr", async () => {
    const dir = await makeTempDir("dawsos-cli-stats-");
    const r = await cli(dir, "stats");
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout) as Stats & { node_types: Record<string, number> };
    expect(s).toMatchObject({
      total_nodes: SEED.nodes,
      total_edges: SEED.edges,
      total_patterns: SEED.patterns,
    });
    expect(s.seq).toEqual(expect.any(Number));
    expect(Object.values(s.node_types).reduce((a, b) => a + b, 0)).toBe(SEED.nodes);
    expect(r.stdout).not.toContain("…");
  });

  it("backup prints the new id; backups lists it; versions lists saved versions", async () => {
    const dir = await makeTempDir("dawsos-cli-backup-");
    const b = await cli(dir, "backup");
    expect(b.code, show(b)).toBe(0);
    const id = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    expect(id).toMatch(ID);
    // Result on stdout (one line), progress on stderr.
    expect(b.stdout.trim().split("\n")).toHaveLength(1);
    expect(b.stderr).toMatch(/…/);
    const manifest = JSON.parse(readFileSync(join(dir, "backups", id!, "manifest.json"), "utf8"));
    expect(manifest).toBeTruthy();
    expect(existsSync(join(dir, "backups", id!, "graph.json"))).toBe(true);

    expect(await backupIds(dir)).toEqual([id]);
    const second = await cli(dir, "backup");
    const id2 = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(second.stdout)?.[1];
    expect(id2).toMatch(ID);
    expect(id2).not.toBe(id);
    expect(await backupIds(dir)).toEqual([id2, id]); // newest first

    const none = await cli(dir, "versions");
    expect(none.code, show(none)).toBe(0);
    expect(none.stdout).toMatch(/no versions/);
    const v1 = await saveVersion(dir);
    const versions = await cli(dir, "versions");
    expect(versions.code, show(versions)).toBe(0);
    expect(versions.stdout).toContain(v1);
    expect(existsSync(join(dir, `graph_${v1}.json`))).toBe(true);
  });

  it("export --out writes a document whose checksum verifies; export without --out writes only it to stdout", async () => {
    const dir = await makeTempDir("dawsos-cli-export-");
    expect((await cli(dir, "compact")).code).toBe(0); // seed the directory for real first
    const out = join(filesDir, `${basename(dir)}-export.json`);
    const r = await cli(dir, "export", "--out", out);
    expect(r.code, show(r)).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    const loaded = loadGraphBytes(bytes, "export.json", { now: NOW, hasher: nodeSha256 });
    expect(loaded.format).toBe("dawsos");
    expect(loaded.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.graph.nodeCount).toBe(SEED.nodes);
    expect(loaded.graph.edgeCount).toBe(SEED.edges);

    const stdout = await cli(dir, "export");
    expect(stdout.code, show(stdout)).toBe(0);
    const fromStdout = loadGraphBytes(new TextEncoder().encode(stdout.stdout), "stdout", {
      now: NOW,
      hasher: nodeSha256,
    });
    expect(fromStdout.checksum).toBe(loaded.checksum);
    expect(stdout.stderr).toMatch(/…/);
  });
});

describe.concurrent("import", () => {
  it("a small document in our format: backs up first, then replaces", async () => {
    const dir = await makeTempDir("dawsos-cli-import-ours-");
    const doc = await ourFormatDocument();
    const file = join(filesDir, `${basename(dir)}-ours.json`);
    writeFileSync(file, doc.bytes);
    expect(await backupIds(dir)).toEqual([]);
    const r = await cli(dir, "import", file);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.trim()).toBe(`imported ${doc.nodes} nodes, ${doc.edges} edges, ${doc.patterns} patterns`);
    expect(r.stderr).toMatch(/…/);
    expect(await stats(dir)).toMatchObject({
      total_nodes: doc.nodes,
      total_edges: doc.edges,
      total_patterns: doc.patterns,
    });
    // The backup made first holds the graph as it was (the seed).
    const ids = await backupIds(dir);
    expect(ids).toHaveLength(1);
    const backedUp = JSON.parse(readFileSync(join(dir, "backups", ids[0]!, "graph.json"), "utf8"));
    expect(Object.keys(backedUp.nodes)).toHaveLength(SEED.nodes);
    const v = await cli(dir, "verify");
    expect(v.code, show(v)).toBe(0);
  });

  it("a small document in the seed format (edges get deterministic ids)", async () => {
    const dir = await makeTempDir("dawsos-cli-import-seed-");
    const file = join(filesDir, `${basename(dir)}-seed.json`);
    writeFileSync(file, JSON.stringify(seedFormatDocument));
    const r = await cli(dir, "import", file);
    expect(r.code, show(r)).toBe(0);
    expect(await stats(dir)).toMatchObject({ total_nodes: 4, total_edges: 3, total_patterns: 0 });
    // graph.json is now that graph, checksummed, with the deterministic edge ids of the format.
    const { graph } = loadGraphBytes(new Uint8Array(readFileSync(join(dir, "graph.json"))), "graph.json", {
      now: NOW,
      hasher: nodeSha256,
    });
    const expected = readDocument(structuredClone(seedFormatDocument), { now: NOW }).graph;
    const ids = (g: typeof graph) => [...g.edges()].map((e) => e.id).sort();
    expect(ids(graph)).toHaveLength(3);
    expect(ids(graph)).toEqual(ids(expected));
    expect(graph.getNode("S2")?.data).toEqual({ name: "Second" });
  });

  it("rejects a bad document with a clear message and changes nothing", async () => {
    const dir = await makeTempDir("dawsos-cli-import-bad-");
    expect((await cli(dir, "backup")).code).toBe(0); // seeded, with one backup
    const before = snapshotDir(dir);
    const files = {
      "not-json": "{nope",
      "dangling-edge": JSON.stringify({
        version: 2,
        nodes: { A: { id: "A", type: "x", data: {} } },
        edges: [{ from: "A", to: "NOWHERE", type: "t" }],
        patterns: {},
      }),
    };
    for (const [name, text] of Object.entries(files)) {
      const file = join(filesDir, `${basename(dir)}-${name}.json`);
      writeFileSync(file, text);
      const r = await cli(dir, "import", file);
      expect(r.code, `${name}\n${show(r)}`).toBe(1);
      expect(r.stderr).toMatch(/^dawsos: /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const missing = await cli(dir, "import", join(dir, "no-such-file.json"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no-such-file.json");
    expect(snapshotDir(dir)).toEqual(before);
  });

  it("rejects a document in our format whose checksum does not match (a damaged export)", async () => {
    const dir = await makeTempDir("dawsos-cli-import-damaged-");
    const file = join(filesDir, `${basename(dir)}-damaged.json`);
    writeFileSync(file, (await ourFormatDocument()).bytes);
    flipByte(file);
    expect(() => loadGraphBytes(new Uint8Array(readFileSync(file)), "f", { now: NOW })).toThrow(/checksum/);
    expect((await cli(dir, "stats")).code).toBe(0);
    const before = await stats(dir);
    const r = await cli(dir, "import", file);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/checksum/i);
    expect(await stats(dir)).toEqual(before);
  });

  if (havePythonFixtures) {
    it("every graph file of the original Python DawsOS (../shared/fixtures/dawsos-python)", async () => {
      const fixtures = pythonGraphFixtures();
      expect(fixtures.length).toBeGreaterThanOrEqual(4);
      // One directory per file, imported in parallel.
      const dirs = await Promise.all(
        fixtures.map(async (file) => {
          const raw = JSON.parse(readFileSync(file, "utf8"));
          const nodes = Object.keys(raw.nodes).length;
          const edges = raw.edges.length;
          const patterns = Object.keys(raw.patterns ?? {}).length;
          const dir = await makeTempDir("dawsos-cli-import-python-");
          const r = await cli(dir, "import", file);
          expect(r.code, `${basename(file)}\n${show(r)}`).toBe(0);
          expect(r.stdout.trim()).toBe(`imported ${nodes} nodes, ${edges} edges, ${patterns} patterns`);
          expect(r.stderr).toMatch(/…/);
          // Afterwards graph.json is that graph, in our format with a valid checksum.
          const saved = loadGraphBytes(new Uint8Array(readFileSync(join(dir, "graph.json"))), "graph.json", {
            now: NOW,
            hasher: nodeSha256,
          });
          expect(saved.format, basename(file)).toBe("dawsos");
          expect(saved.graph.nodeCount, basename(file)).toBe(nodes);
          expect(saved.graph.edgeCount, basename(file)).toBe(edges);
          expect(saved.graph.patternCount, basename(file)).toBe(patterns);
          return dir;
        }),
      );
      // And the CLI sees the same: stats of the largest import.
      const largest = fixtures.reduce(
        (a, b, i) => (statSync(b).size > statSync(fixtures[a]!).size ? i : a),
        0,
      );
      const raw = JSON.parse(readFileSync(fixtures[largest]!, "utf8"));
      expect(await stats(dirs[largest]!)).toMatchObject({
        total_nodes: Object.keys(raw.nodes).length,
        total_edges: raw.edges.length,
      });
    });
  }

  it("relative paths resolve against the directory `pnpm dawsos` was run from (INIT_CWD), like --dir", async () => {
    // `pnpm dawsos …` runs the CLI with cwd = the repository root and INIT_CWD = the user's
    // directory; `--dir` already resolves against INIT_CWD, the file arguments must too.
    const userDir = await makeTempDir("dawsos-cli-initcwd-user-");
    const scriptCwd = await makeTempDir("dawsos-cli-initcwd-root-");
    writeFileSync(join(userDir, "small.json"), JSON.stringify(seedFormatDocument));
    const env = { INIT_CWD: userDir };
    const imported = await runCli(["--dir", "store", "import", "small.json"], { cwd: scriptCwd, env });
    expect(imported.code, show(imported)).toBe(0);
    expect(existsSync(join(userDir, "store", "graph.json"))).toBe(true);
    const exported = await runCli(["--dir", "store", "export", "--out", "out.json"], { cwd: scriptCwd, env });
    expect(exported.code, show(exported)).toBe(0);
    expect(existsSync(join(userDir, "out.json"))).toBe(true);
    expect(readdirSync(scriptCwd)).toEqual([]);
  });
});

describe.concurrent("restore", () => {
  it("restore <id> brings a backup back, backing up the current state first", async () => {
    const dir = await makeTempDir("dawsos-cli-restore-");
    const b = await cli(dir, "backup");
    const seedBackup = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    expect(seedBackup).toMatch(ID);
    const doc = await ourFormatDocument();
    const file = join(filesDir, `${basename(dir)}-small.json`);
    writeFileSync(file, doc.bytes);
    expect((await cli(dir, "import", file)).code).toBe(0);
    expect((await stats(dir)).total_nodes).toBe(doc.nodes);
    const beforeRestore = await backupIds(dir);

    const r = await cli(dir, "restore", seedBackup!);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(seedBackup);
    expect(await stats(dir)).toMatchObject({ total_nodes: SEED.nodes, total_edges: SEED.edges });

    // A new backup, made before the restore, holds the imported graph: the restore can be undone.
    const after = await backupIds(dir);
    const made = after.filter((id) => !beforeRestore.includes(id));
    expect(made).toHaveLength(1);
    const undo = JSON.parse(readFileSync(join(dir, "backups", made[0]!, "graph.json"), "utf8"));
    expect(Object.keys(undo.nodes).sort()).toEqual(["ONE", "THREE", "TWO"]);
    const back = await cli(dir, "restore", made[0]!);
    expect(back.code, show(back)).toBe(0);
    expect((await stats(dir)).total_nodes).toBe(doc.nodes);
  });

  it("an unknown (well-formed) backup id fails with a clear message and leaves the graph as it was", async () => {
    const dir = await makeTempDir("dawsos-cli-restore-unknown-");
    const before = await stats(dir);
    const r = await cli(dir, "restore", "20000101_000000");
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/20000101_000000/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await stats(dir)).toEqual(before);
  });

  it("malformed ids (../../etc/passwd, absolute paths, …) are rejected before touching the disk", async () => {
    const dir = await crashedServerDir();
    const before = snapshotDir(dir);
    const ids = [
      "../../etc/passwd",
      "/etc/passwd",
      "..%2F..%2Fetc",
      "20240101_000000/../..",
      "20240101_000000\n",
      "x",
    ];
    for (const id of ids) {
      const r = await cli(dir, "restore", id);
      expect(r.code, `${JSON.stringify(id)}\n${show(r)}`).not.toBe(0);
      expect(r.stderr).toMatch(/id must match|invalid.*id/i);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // Not even the stale lock was taken over, nor the journal folded.
    expect(snapshotDir(dir)).toEqual(before);
  });
});

describe.concurrent("verify", () => {
  it("exit 0 on a healthy directory, with a per-file report", async () => {
    const dir = await makeTempDir("dawsos-cli-verify-");
    expect((await cli(dir, "backup")).code).toBe(0);
    await saveVersion(dir);
    const r = await cli(dir, "verify");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+graph\.json$/m);
    expect(r.stdout).toMatch(/^ok\s+graph_\d{8}_\d{6}(-\d+)?\.json/m);
    expect(r.stdout).toMatch(/^ok\s+backups\//m);
    expect(r.stdout).toMatch(/healthy/);
    expect(r.stdout).not.toMatch(/DAMAGED/);
    expect(r.stderr).toMatch(/…/);
  });

  it("exit 1 naming graph.json after a byte of it flipped (and repairs nothing)", async () => {
    const dir = await makeTempDir("dawsos-cli-verify-graph-");
    expect((await cli(dir, "backup")).code).toBe(0);
    flipByte(join(dir, "graph.json"));
    const damaged = readFileSync(join(dir, "graph.json"));
    const r = await cli(dir, "verify");
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^DAMAGED\s+graph\.json\b.*checksum/m);
    expect(r.stdout).toMatch(/^ok\s+backups\//m);
    expect(r.stdout).toMatch(/damaged/);
    expect(readFileSync(join(dir, "graph.json")).equals(damaged)).toBe(true);
  });

  it("exit 1 naming the version file after a byte of it flipped", async () => {
    const dir = await makeTempDir("dawsos-cli-verify-version-");
    const id = await saveVersion(dir);
    const file = `graph_${id}.json`;
    flipByte(join(dir, file));
    const r = await cli(dir, "verify");
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^DAMAGED\\s+${file.replace(".", "\\.")}`, "m"));
    expect(r.stdout).toMatch(/^ok\s+graph\.json$/m);
  });

  it("exit 1 naming the backup after a byte of its graph flipped", async () => {
    const dir = await makeTempDir("dawsos-cli-verify-backup-");
    const b = await cli(dir, "backup");
    const id = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    flipByte(join(dir, "backups", id!, "graph.json"));
    const r = await cli(dir, "verify");
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^DAMAGED\\s+backups/${id}`, "m"));
  });
});

describe.concurrent("compact", () => {
  it("folds the journal a crashed server left into graph.json (taking over its stale lock)", async () => {
    const dir = await crashedServerDir();
    const r = await cli(dir, "compact");
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/compacted at seq \d+/);
    const seq = Number(/seq (\d+)/.exec(r.stdout)?.[1]);
    expect(statSync(join(dir, "graph.journal")).size).toBe(0);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    const doc = JSON.parse(readFileSync(join(dir, "graph.json"), "utf8"));
    expect(doc.seq).toBe(seq);
    for (let i = 0; i < 3; i++) expect(doc.nodes[`crash${i}`].data).toEqual({ i });
    expect((await cli(dir, "verify")).code).toBe(0);
  });
});

describe.concurrent("while a server holds the writer lock", () => {
  it("writer commands wait DAWSOS_LOCK_WAIT_MS, then exit 3 naming the server's pid; readers work", async () => {
    const dir = await makeTempDir("dawsos-cli-locked-");
    const b = await cli(dir, "backup");
    const id = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    expect(id).toMatch(ID);
    const file = join(filesDir, `${basename(dir)}-import.json`);
    writeFileSync(file, JSON.stringify(seedFormatDocument));

    const server = await startServer({ storageDir: dir });
    try {
      const put = await http(server.url, "PUT", "/api/nodes/FROM_SERVER", {
        body: { type: "t", data: { x: 1 } },
      });
      expect(put.status).toBe(201);
      const before = snapshotDir(dir);

      const writers = [["backup"], ["compact"], ["restore", id!], ["import", file]];
      const results = await Promise.all(
        writers.map((args) => runCli(["--dir", dir, ...args], { env: { DAWSOS_LOCK_WAIT_MS: "300" } })),
      );
      writers.forEach((args, i) => {
        const r = results[i]!;
        expect(r.code, `${args[0]}\n${show(r)}`).toBe(3);
        expect(r.stderr).toMatch(new RegExp(`waiting up to 300 ms for pid ${server.pid}\\b`));
        expect(r.stderr).toMatch(new RegExp(`\\bpid ${server.pid}\\b`));
        expect(r.stderr).toMatch(/server/i);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
      expect(snapshotDir(dir)).toEqual(before);
      expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(server.pid);

      // Readers see the server's acknowledged changes (graph.json + journal).
      const [s, v, list, exported] = await Promise.all([
        cli(dir, "stats"),
        cli(dir, "verify"),
        cli(dir, "backups"),
        cli(dir, "export"),
      ]);
      expect(s.code, show(s)).toBe(0);
      expect(JSON.parse(s.stdout).total_nodes).toBe(SEED.nodes + 1);
      expect(v.code, show(v)).toBe(0);
      expect(list.code, show(list)).toBe(0);
      expect(list.stdout).toContain(id);
      expect(exported.code, show(exported)).toBe(0);
      expect(JSON.parse(exported.stdout).nodes.FROM_SERVER.data).toEqual({ x: 1 });

      // The server is undisturbed.
      expect((await http(server.url, "GET", "/api/nodes/FROM_SERVER")).status).toBe(200);
      server.child.kill("SIGTERM");
      expect((await server.waitForExit(10_000)).code).toBe(0);
    } finally {
      if (server.exit() === undefined) server.child.kill("SIGKILL");
      await server.waitForExit(10_000);
    }
    // Once it has stopped, the writers work.
    const after = await cli(dir, "backup");
    expect(after.code, show(after)).toBe(0);
  });

  it("a writer command waits (default bound) for a server that is stopping, then runs", async () => {
    const dir = await makeTempDir("dawsos-cli-wait-");
    const server = await startServer({ storageDir: dir });
    try {
      const backup = spawnNode(CLI_JS, ["--dir", dir, "backup"]);
      // Stop the server once the backup waits for it (the line comes within a second or two).
      const started = Date.now();
      while (!backup.stderr().includes("waiting up to") && Date.now() - started < 20_000) {
        if (backup.exit() !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(backup.stderr()).toMatch(new RegExp(`waiting up to 10000 ms for pid ${server.pid}\\b`));
      server.child.kill("SIGTERM");
      const exit = await backup.waitForExit(30_000);
      expect(exit.code, backup.stderr()).toBe(0);
      expect(backup.stdout()).toMatch(/^backup \d{8}_\d{6}/);
      expect((await server.waitForExit(10_000)).code).toBe(0);
    } finally {
      if (server.exit() === undefined) server.child.kill("SIGKILL");
      await server.waitForExit(10_000);
    }
  });
});

describe.concurrent("configuration", () => {
  it("DAWSOS_LOCK_WAIT_MS that is not a whole number of ms: writers exit 1 naming it, readers ignore it", async () => {
    const dir = await makeTempDir("dawsos-cli-bad-wait-");
    const env = { DAWSOS_LOCK_WAIT_MS: "10s" };
    const backup = await runCli(["--dir", dir, "backup"], { env });
    expect(backup.code, show(backup)).toBe(1);
    expect(backup.stderr).toMatch(/\bDAWSOS_LOCK_WAIT_MS\b/);
    expect(backup.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]); // refused before opening anything
    const reader = await runCli(["--dir", dir, "stats"], { env });
    expect(reader.code, show(reader)).toBe(0);
  });
});

describe.concurrent("backups whose manifest cannot be read", () => {
  it('are listed as DAMAGED with the reason, never as "no backups", and the exit is 1', async () => {
    const dir = await makeTempDir("dawsos-cli-backups-damaged-");
    const b = await cli(dir, "backup");
    const id = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    expect(id).toMatch(ID);
    const manifestFile = join(dir, "backups", id!, "manifest.json");
    const goodManifest = readFileSync(manifestFile);
    writeFileSync(manifestFile, "{nope");
    const only = await cli(dir, "backups");
    expect(only.code, show(only)).toBe(1);
    expect(only.stdout).not.toMatch(/no backups/);
    expect(only.stdout).toMatch(new RegExp(`^DAMAGED ${id}\\s+manifest unreadable: .*manifest\\.json`, "m"));
    expect(only.stderr).not.toMatch(/\n\s+at /);

    // Beside a good backup: both are listed, newest first, and the exit still says something is wrong.
    const older = "20000101_000000";
    mkdirSync(join(dir, "backups", older));
    writeFileSync(join(dir, "backups", older, "manifest.json"), goodManifest);
    // A backup without its manifest (interrupted, or being written) is shown but is no failure.
    mkdirSync(join(dir, "backups", "20000101_000001"));
    writeFileSync(join(dir, "backups", "20000101_000001", "graph.json"), "{}");
    const both = await cli(dir, "backups");
    expect(both.code, show(both)).toBe(1);
    const lines = both.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual([
      `DAMAGED ${id}`,
      "INCOMPLETE 20000101_000001",
      `${older} ${JSON.parse(goodManifest.toString()).created}`,
    ]);

    writeFileSync(manifestFile, goodManifest);
    const healthy = await cli(dir, "backups");
    expect(healthy.code, show(healthy)).toBe(0);
    expect(healthy.stdout).not.toMatch(/DAMAGED/);
  });
});

/** What a CLI run whose stdout reader went away early may print: nothing but progress lines. */
const NO_CRASH = /\n\s+at |EPIPE|Unhandled|Error:/;

/**
 * `dawsos <args> | head -n 1` through a real shell pipe: head exits after the first line while
 * the CLI is still writing. Resolves with head's output, the CLI's stderr and its exit status.
 */
function pipeIntoHead(args: string[]): Promise<{ status: number | null; first: string; stderr: string }> {
  // `$PIPESTATUS` is `${PIPESTATUS[0]}`: the CLI's status, not head's.
  const script = 'node "$0" "$@" | head -n 1; exit "$PIPESTATUS"';
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-c", script, CLI_JS, ...args],
      { cwd: tmpdir(), env: childEnv(), timeout: 60_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ status, first: stdout, stderr });
      },
    );
  });
}

/** Runs the CLI with its stdout closed by the reader before it writes a byte (`| head -n 0`). */
function stdoutClosedFirst(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_JS, ...args], {
      cwd: tmpdir(),
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`dawsos ${args.join(" ")}: still running after 60 s\n${stderr}`));
    }, 60_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe.concurrent("stdout closed early (dawsos … | head)", () => {
  it("backups, listing more than a pipe holds, into head -n 1: the first line, exit 0, no stack trace", async () => {
    const dir = await makeTempDir("dawsos-cli-epipe-");
    const b = await cli(dir, "backup");
    const id = /backup (\d{8}_\d{6}(?:-\d+)?)\b/.exec(b.stdout)?.[1];
    const manifest = readFileSync(join(dir, "backups", id!, "manifest.json"));
    // 5000 listed backups (manifests only: listing reads nothing else) ≈ 300 KiB of lines, far
    // more than a pipe buffers (64 KiB), so the CLI is still writing when head has gone.
    for (let i = 1; i <= 5000; i++) {
      const copy = join(dir, "backups", `20250101_000000-${i}`);
      mkdirSync(copy);
      writeFileSync(join(copy, "manifest.json"), manifest);
    }
    const r = await pipeIntoHead(["--dir", dir, "backups"]);
    expect(r.first, r.stderr).toMatch(new RegExp(`^${id}\\s`));
    expect(r.first.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(NO_CRASH);
    expect(r.status, r.stderr).toBe(0);
  });

  it("every command exits quietly when its stdout is closed before it writes", async () => {
    const dir = await makeTempDir("dawsos-cli-closed-");
    expect((await cli(dir, "backup")).code).toBe(0);
    await saveVersion(dir);
    const commands = [
      ["backups"],
      ["versions"],
      ["stats"],
      ["verify"],
      ["export"],
      ["--help"],
      ["backup"],
      ["compact"],
    ];
    for (const args of commands) {
      const r = await stdoutClosedFirst(args[0] === "--help" ? args : ["--dir", dir, ...args]);
      expect(r.stderr, args.join(" ")).not.toMatch(NO_CRASH);
      expect({ code: r.code, signal: r.signal }, `${args.join(" ")}\n${r.stderr}`).toEqual({
        code: 0,
        signal: null,
      });
    }
    // The writers finished their work and released the lock.
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    expect(await backupIds(dir)).toHaveLength(2);
  });
});
