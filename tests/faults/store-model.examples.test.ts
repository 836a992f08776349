/**
 * Minimal reproductions of bugs the model-based test (store-model.property.test.ts) found,
 * kept as plain examples so each stays checked on its own.
 */
import { GraphStore, ManualClock, MemoryStorage } from "@dawsos/core";
import { FsStorage, nodeFsOps, nodeSha256 } from "@dawsos/storage-fs";
import { FaultyFs } from "@dawsos/storage-fs/testing";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../support/fault-harness.ts";
import { PowerLossFs } from "../support/power-loss-fs.ts";
import { durableSeq } from "../support/store-model.ts";

afterAll(removeTempDirs);

const SEED = { version: 2, nodes: { A: { type: "t", data: {} } }, edges: [], patterns: {} };
const options = () => ({
  seed: SEED,
  hasher: nodeSha256,
  clock: new ManualClock("2026-03-01T12:00:00.000Z"),
});

describe("a reader that awaits refresh() and then reads synchronously sees only durable changes", () => {
  // refresh() used to resolve at once when no group was being written. A commit started after
  // that call but before the reader's continuation ran (any other microtask: another request,
  // the next line of the same function) was applied to memory at once, so the reader saw it
  // before it was durable — and saw it even when its write then failed and was rolled back.
  it("does not see a commit started after refresh() was called, before that commit is durable", async () => {
    const fs = new PowerLossFs();
    const storage = await FsStorage.open("/srv/dawsos", { fs, lock: true });
    const store = await GraphStore.open(storage, options());
    const reader = store.refresh().then(() => ({
      seq: store.graph.seq,
      hasX: store.graph.hasNode("X"),
      durable: durableSeq(fs, "/srv/dawsos"),
    }));
    const write = store.putNode("X", { type: "t" });
    const seen = await reader;
    await write;
    expect(seen.seq).toBeLessThanOrEqual(seen.durable);
    expect(seen.hasX).toBe(false);
    expect(store.graph.hasNode("X")).toBe(true);
  });

  it("never sees a change whose write fails and is rolled back", async () => {
    const dir = await tempDir("refresh");
    const faulty = new FaultyFs(nodeFsOps, { root: dir });
    const storage = await FsStorage.open(dir, { fs: faulty, lock: true });
    try {
      const store = await GraphStore.open(storage, options());
      faulty.failOn({ op: "datasync", path: "graph.journal", code: "EIO" });
      const reader = store.refresh().then(() => store.graph.hasNode("X"));
      const write = store.putNode("X", { type: "t" });
      const sawX = await reader;
      await expect(write).rejects.toMatchObject({ code: "storage_error" });
      faulty.clearFaults();
      expect(store.graph.hasNode("X")).toBe(false); // rolled back: it never existed
      expect(sawX).toBe(false);
    } finally {
      await storage.close();
    }
  });
});

describe("version and backup ids sort in creation order across kinds and restarts (SPEC section 6)", () => {
  // A version's id used to be chosen against the other versions only (and the ids this process
  // issued): after a restart, a version made in the same second as existing backups got an id
  // sorting *before* them. Recovery searches versions and backups newest id first and stops
  // at the first one older than the journal, so it gave up on a missing graph.json that the
  // journal continues from that version — refusing to start instead of rebuilding losslessly.
  it("after a restart, a version made after backups sorts after them, and a lost graph.json is rebuilt from it", async () => {
    const storage = new MemoryStorage();
    const first = await GraphStore.open(storage, options());
    const b1 = await first.backup();
    const b2 = await first.backup();
    expect([b1.id, b2.id]).toEqual(["20260301_120000", "20260301_120000-2"]);
    // A restart in the same second (the first store is simply abandoned; nothing is pending).
    const second = await GraphStore.open(storage, options());
    await second.putNode("X", { type: "t" });
    const version = await second.saveVersion(); // compacts: the journal restarts at this version
    expect(version.id).toBe("20260301_120000-3");
    await second.putNode("Y", { type: "t" }); // the journal now continues the version
    await storage.delete("graph.json");
    const third = await GraphStore.open(storage, options());
    expect(third.recovery).toMatchObject({ file: "graph.json", lossless: true });
    expect(third.graph.hasNode("X") && third.graph.hasNode("Y")).toBe(true);
  });
});
