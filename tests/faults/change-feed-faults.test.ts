/**
 * Issue 14: the change feed shows acknowledged changes only. A commit whose journal fdatasync
 * fails is rolled back and rejected; it must never reach a subscriber, a page or a history —
 * and the next good commit follows the last acknowledged one without a gap.
 */
import { createApp } from "@dawsos/api";
import { type ChangeRecord, GraphStore, ManualClock, MemoryStorage, SessionStore } from "@dawsos/core";
import { FsStorage, nodeFsOps, nodeSha256 } from "@dawsos/storage-fs";
import { FaultyFs } from "@dawsos/storage-fs/testing";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../support/fault-harness.ts";

afterAll(removeTempDirs);

const SEED = { version: 2, nodes: { A: { type: "t", data: {} } }, edges: [], patterns: {} };

describe("a change that failed to become durable never appears in the feed", () => {
  it("is absent from the live subscription, the JSON page and the node history", async () => {
    const dir = await tempDir("feed-fsync");
    const faulty = new FaultyFs(nodeFsOps, { root: dir });
    const storage = await FsStorage.open(dir, { fs: faulty, lock: true });
    try {
      const store = await GraphStore.open(storage, {
        seed: SEED,
        hasher: nodeSha256,
        clock: new ManualClock("2026-03-01T12:00:00.000Z"),
      });
      const start = store.graph.seq;
      const sub = store.changes.subscribe(start);
      await store.patchNode("A", { v: 1 });
      faulty.failOn({ op: "datasync", path: "graph.journal", code: "EIO" });
      await expect(store.patchNode("A", { v: 2 })).rejects.toMatchObject({ code: "storage_error" });
      faulty.clearFaults();
      await store.patchNode("A", { v: 3 });

      const taken = sub.take(100) as ChangeRecord[];
      expect(taken.map((r) => r.changes.map((c) => (c as { data: unknown }).data))).toEqual([
        [{ v: 1 }],
        [{ v: 3 }],
      ]);
      // No gap: the good commit after the failed one continues the acknowledged seq.
      expect(taken.map((r) => [r.from, r.seq])).toEqual([
        [start, start + 1],
        [start + 1, start + 2],
      ]);

      const app = createApp({
        store,
        changes: store.changes,
        sessions: new SessionStore(new MemoryStorage()),
        storageKind: "fs",
        version: "test",
      });
      const page = (await (await app.request(`/api/changes?since=${start}`)).json()) as {
        items: Array<{ changes: Array<{ data: unknown }> }>;
      };
      expect(page.items.map((i) => i.changes[0]!.data)).toEqual([{ v: 1 }, { v: 3 }]);
      const history = (await (await app.request("/api/nodes/A/history")).json()) as Array<{
        change: { data: unknown };
      }>;
      expect(history.map((h) => h.change.data)).toEqual([{ v: 3 }, { v: 1 }]);
      sub.close();
      await store.close();
    } finally {
      await storage.close();
    }
  });
});
