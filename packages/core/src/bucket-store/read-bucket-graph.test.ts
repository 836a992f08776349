import { describe, expect, it } from "vitest";
import { encodeDocument } from "../format/write-document.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { BucketGraphStore } from "./bucket-graph-store.ts";
import { readBucketGraph } from "./read-bucket-graph.ts";

const SEED = {
  version: 2,
  nodes: { GDP: { type: "indicator", data: { value: 2.5 } }, CPI: { type: "indicator", data: {} } },
  edges: [{ from: "GDP", to: "CPI", type: "drives", strength: 0.5 }],
  patterns: {},
};

/** A bucket whose head names a compacted snapshot and a journal after it. */
async function writtenBucket() {
  const storage = new MemoryStorage();
  const clock = new ManualClock("2026-02-03T04:05:06.000Z");
  const store = await BucketGraphStore.open(storage, { seed: SEED, clock, compactAfterRecords: 3 });
  for (let i = 0; i < 6; i++) {
    await store.putNode(`N${i} ✓`, { type: "t", data: { i } });
    clock.advance(1000);
  }
  await store.deleteNode("CPI");
  return { storage, store };
}

const bytesOf = async (graph: Parameters<typeof encodeDocument>[0]) =>
  new TextDecoder().decode((await encodeDocument(graph)).bytes);

describe("readBucketGraph", () => {
  it("reads the graph BucketGraphStore serves: snapshot plus journal replayed, same seq; writes nothing", async () => {
    const { storage, store } = await writtenBucket();
    expect(store.head!.journal.length).toBeGreaterThan(0);
    expect(store.head!.snapshot.seq).toBeGreaterThan(0);
    const recording = new RecordingStorage(storage);
    const read = await readBucketGraph(recording);
    expect(read!.graph.seq).toBe(store.graph.seq);
    expect(read!.head.seq).toBe(store.graph.seq);
    expect(await bytesOf(read!.graph)).toBe(await bytesOf(store.graph));
    expect(recording.calls.every((c) => c.op === "get" || c.op === "list")).toBe(true);
  });

  it("null for a bucket without a head; damage or a missing object is an IntegrityError naming it", async () => {
    expect(await readBucketGraph(new MemoryStorage())).toBeNull();
    const { storage, store } = await writtenBucket();
    const entry = store.head!.journal[0]!;
    const stored = (await storage.get(entry.key))!;
    await storage.put(entry.key, stored.body.slice(0, -3));
    await expect(readBucketGraph(storage)).rejects.toMatchObject({ code: "malformed_json", file: entry.key });
    await storage.delete(entry.key);
    await expect(readBucketGraph(storage)).rejects.toMatchObject({
      code: "integrity_error",
      file: entry.key,
    });
  });
});
