import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import { GraphStore, type GraphStoreOptions } from "@dawsos/core";
import { scanJournal } from "@dawsos/core/journal";
import { FsStorage, nodeFsOps, nodeSha256 } from "@dawsos/storage-fs";
import { FaultyFs } from "@dawsos/storage-fs/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CRASH_SEED } from "./fixtures.ts";
import { makeTempDir, removeTempDirs } from "./harness.ts";

const MUTATIONS = 1_000;

/** Real fsync (the default durability) and no compaction during the run: every commit stays in the journal. */
const OPTIONS: GraphStoreOptions = { seed: CRASH_SEED, hasher: nodeSha256, durability: "fsync" };

describe("1,000 concurrent mutations from one process (FsStorage, real fsync)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await removeTempDirs();
  });

  /** A new store over FsStorage over a logging (never failing) FaultyFs, its log cleared after the open. */
  async function openLogged(tag: string) {
    const dir = await makeTempDir(tag);
    const faulty = new FaultyFs(nodeFsOps, { root: await realpath(dir) });
    const storage = await FsStorage.open(dir, { lock: true, fs: faulty });
    cleanups.push(() => storage.close());
    const store = await GraphStore.open(storage, OPTIONS);
    cleanups.push(() => store.close());
    faulty.clearLog();
    return { dir, faulty, storage, store };
  }

  /** A fresh locked open of `dir`, as a new process would make it. */
  async function reopen(dir: string): Promise<GraphStore> {
    const storage = await FsStorage.open(dir, { lock: true });
    cleanups.push(() => storage.close());
    const store = await GraphStore.open(storage, OPTIONS);
    cleanups.push(() => store.close());
    return store;
  }

  it("all land, through far fewer journal appends than mutations (group commit)", async () => {
    const { dir, faulty, storage, store } = await openLogged("concurrency");

    const results = await Promise.all(
      Array.from({ length: MUTATIONS }, (_, i) => store.putNode(`c-${i}`, { type: "k", data: { i } })),
    );
    expect(results.every((r) => r.created)).toBe(true);

    const journalOps = (op: string) =>
      faulty.log.filter((entry) => entry.op === op && entry.path === "graph.journal").length;
    const appends = journalOps("write");
    const syncs = journalOps("datasync");
    console.log(`[concurrency] ${MUTATIONS} putNode calls: ${appends} journal writes, ${syncs} fdatasyncs`);
    expect(appends).toBeGreaterThan(0);
    expect(appends).toBeLessThan(MUTATIONS / 4);
    // Every acknowledged group was fdatasync'd (fsync durability), once per write.
    expect(syncs).toBe(appends);
    expect(faulty.log.some((entry) => entry.injected !== undefined)).toBe(false);

    // On disk before any compaction: one verified record per mutation, in seq order.
    const scan = scanJournal(new Uint8Array(await readFile(join(dir, "graph.journal"))));
    expect(scan.corrupt).toBeNull();
    expect(scan.tornTail).toBeNull();
    expect(scan.records).toHaveLength(MUTATIONS);
    expect(scan.records.map((r) => r.seq)).toEqual(scan.records.map((_, k) => scan.records[0]!.seq + k));

    // A read-only open beside the live writer replays them all from the journal.
    const reader = await FsStorage.open(dir);
    cleanups.push(() => reader.close());
    const readOnly = await GraphStore.open(reader, { ...OPTIONS, readOnly: true });
    expect(countWritten(readOnly)).toBe(MUTATIONS);
    await readOnly.close();
    await reader.close();

    await store.close();
    await storage.close();

    // And a fresh locked open (a new process would see the same) has every one with its data.
    const again = await reopen(dir);
    expect(again.recovery).toBeNull();
    expect(countWritten(again)).toBe(MUTATIONS);
    for (let i = 0; i < MUTATIONS; i++) expect(again.graph.getNode(`c-${i}`)?.data, `c-${i}`).toEqual({ i });
    expect((await again.verify()).ok).toBe(true);
  });

  it("50 writers each awaiting 20 mutations in turn: every one lands, groups still form", async () => {
    const { dir, faulty, storage, store } = await openLogged("concurrency-loops");

    const WRITERS = 50;
    const STEPS = MUTATIONS / WRITERS;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let s = 0; s < STEPS; s++) {
          const i = w * STEPS + s;
          await store.putNode(`c-${i}`, { type: "k", data: { i, writer: w, step: s } });
        }
      }),
    );
    const appends = faulty.log.filter((e) => e.op === "write" && e.path === "graph.journal").length;
    console.log(
      `[concurrency] ${WRITERS} writers × ${STEPS} awaited putNode calls: ${appends} journal writes`,
    );
    // Each writer waits for its own commit, so there are at least STEPS groups; far fewer than mutations.
    expect(appends).toBeGreaterThanOrEqual(STEPS);
    expect(appends).toBeLessThan(MUTATIONS / 4);
    await store.close();
    await storage.close();

    const again = await reopen(dir);
    expect(countWritten(again)).toBe(MUTATIONS);
    for (let w = 0; w < WRITERS; w++) {
      for (let s = 0; s < STEPS; s++) {
        const i = w * STEPS + s;
        expect(again.graph.getNode(`c-${i}`)?.data, `c-${i}`).toEqual({ i, writer: w, step: s });
      }
    }
  });
});

function countWritten(store: GraphStore): number {
  let count = 0;
  for (const node of store.graph.nodes()) if (node.id.startsWith("c-")) count++;
  return count;
}
