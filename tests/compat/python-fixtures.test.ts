import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { encodeDocument, GraphStore, MemoryStorage, readDocument, WorkflowHistory } from "@dawsos/core";
import { verifyCanonicalBytes } from "@dawsos/core/format";
import { loadGraphBytes } from "@dawsos/core/store";
import { FsStorage } from "@dawsos/storage-fs";
import { afterEach, describe, expect, it } from "vitest";
import { havePythonFixtures, PYTHON_FIXTURES_DIR, pythonGraphFixtures } from "../support/shared-fixtures.ts";

const NOW = "2026-01-01T00:00:00.000Z";
const require_text = (file: string) => readFileSync(file, "utf8");

describe.skipIf(!havePythonFixtures)("files written by the original Python DawsOS (../shared)", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("finds the graph fixtures", () => {
    expect(pythonGraphFixtures().length).toBeGreaterThanOrEqual(4);
  });

  for (const file of pythonGraphFixtures()) {
    it(`${basename(file)}: loads with the file's counts, saves with a valid checksum, loads back equal`, async () => {
      const bytes = new Uint8Array(await readFile(file));
      const raw = JSON.parse(new TextDecoder().decode(bytes));
      const { graph, format } = loadGraphBytes(bytes, basename(file), { now: NOW, allowUnchecksummed: true });
      expect(format).toBe("python");
      expect(graph.nodeCount).toBe(Object.keys(raw.nodes).length);
      expect(graph.edgeCount).toBe(raw.edges.length);
      expect(graph.patternCount).toBe(Object.keys(raw.patterns).length);
      // Nothing but derived fields is dropped: every node and edge keeps its original fields.
      for (const [id, node] of Object.entries<Record<string, unknown>>(raw.nodes)) {
        const { connections_in: _in, connections_out: _out, ...kept } = node;
        expect(graph.getNode(id)).toMatchObject(kept);
      }
      for (const edge of raw.edges) expect(graph.getEdge(edge.id)).toMatchObject(edge);
      if (raw.forecasts !== undefined) expect(graph.extras.forecasts).toEqual(raw.forecasts);

      // Through a real storage directory: open migrates it, reopen verifies the checksum.
      const dir = await mkdtemp(join(tmpdir(), "dawsos-compat-"));
      dirs.push(dir);
      const storage = await FsStorage.open(dir);
      await storage.put("graph.json", bytes);
      const store = await GraphStore.open(storage);
      const saved = (await storage.get("graph.json"))!.body;
      expect(verifyCanonicalBytes(saved)).toBe(store.checksum);
      const reopened = await GraphStore.open(await FsStorage.open(dir));
      expect(reopened.recovery).toBeNull();
      const a = await encodeDocument(store.graph);
      const b = await encodeDocument(reopened.graph);
      expect(b.checksum).toBe(a.checksum);
      expect(reopened.graph.stats()).toEqual(graph.stats());
      expect((await reopened.verify()).ok).toBe(true);
    });
  }

  it("the largest Python storage, backed up and then damaged, recovers every node from the backup (trusted by its manifest)", async () => {
    const file = pythonGraphFixtures()
      .map((f) => ({ f, size: JSON.parse(require_text(f)).nodes }))
      .sort((a, b) => Object.keys(b.size).length - Object.keys(a.size).length)[0]!.f;
    const bytes = new Uint8Array(await readFile(file));
    const raw = JSON.parse(new TextDecoder().decode(bytes));
    const dir = await mkdtemp(join(tmpdir(), "dawsos-compat-recover-"));
    dirs.push(dir);
    const storage = await FsStorage.open(dir, { lock: true, lockWaitMs: 0 });
    await storage.put("graph.json", bytes); // a Python storage dropped in
    const store = await GraphStore.open(storage);
    const backup = await store.backup(); // an operator backs it up
    await store.close();
    // graph.json is damaged by hand, and the journal holds nothing (folded at close).
    const damaged = (await storage.get("graph.json"))!.body.slice();
    const at = Math.floor(damaged.length / 3);
    damaged[at] = damaged[at]! ^ 0x10;
    await storage.put("graph.json", damaged);
    // Keep only the migration's backup of the original Python bytes (no checksum of its own).
    await storage.delete(`backups/${backup.id}/manifest.json`);
    const recovered = await GraphStore.open(storage);
    expect(recovered.recovery?.recoveredFrom).toMatch(/^backups\/\d{8}_\d{6}(-\d+)?\/graph\.json$/);
    expect(recovered.graph.nodeCount).toBe(Object.keys(raw.nodes).length);
    expect(recovered.graph.edgeCount).toBe(raw.edges.length);
    for (const id of Object.keys(raw.nodes)) expect(recovered.graph.hasNode(id), id).toBe(true);
    await recovered.close();
    await storage.close();
  });

  it("workflow_history.json loads as it is, with every run", async () => {
    const bytes = await readFile(join(PYTHON_FIXTURES_DIR, "workflow_history.json"));
    const raw = JSON.parse(bytes.toString("utf8"));
    const storage = new MemoryStorage();
    await storage.put("workflow_history.json", new Uint8Array(bytes));
    const history = new WorkflowHistory(storage);
    const runs = await history.list();
    expect(runs).toHaveLength(raw.length);
    expect(runs[0]).toEqual(raw[raw.length - 1]);
    expect((await history.list({ workflow: "value_scan" })).length).toBe(
      raw.filter((r: { workflow: string }) => r.workflow === "value_scan").length,
    );
  });

  it("the Python seeded_graph.json evaluates and traverses", async () => {
    const bytes = await readFile(join(PYTHON_FIXTURES_DIR, "seeded_graph.json"));
    const { graph } = readDocument(JSON.parse(bytes.toString("utf8")), { now: NOW });
    expect(graph.influences("ECONOMIC_REGIME").length).toBeGreaterThan(0);
    expect(graph.nodesByPatternType("transitive").map((n) => n.id)).toContain("FED_RATE");
  });
});
