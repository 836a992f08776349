import { describe, expect, it } from "vitest";
import { encodeDocument } from "../format/write-document.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { BucketLayoutWriter } from "../testing/bucket-layout-writer.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { readBucketGraph } from "./read-bucket-graph.ts";

const SEED = {
  version: 2,
  nodes: { GDP: { type: "indicator", data: { value: 2.5 } }, CPI: { type: "indicator", data: {} } },
  edges: [{ from: "GDP", to: "CPI", type: "drives", strength: 0.5 }],
  patterns: {},
};

/** A bucket in the R2 store's layout whose head names a compacted snapshot and a journal after it. */
async function writtenBucket() {
  const storage = new MemoryStorage();
  const clock = new ManualClock("2026-02-03T04:05:06.000Z");
  const writer = await BucketLayoutWriter.create(storage, { seed: SEED, clock, compactAfterRecords: 3 });
  for (let i = 0; i < 6; i++) {
    await writer.putNode(`N${i} ✓`, { type: "t", data: { i } });
    clock.advance(1000);
  }
  await writer.deleteNode("CPI");
  return { storage, writer };
}

const textOf = async (graph: KnowledgeGraph) => new TextDecoder().decode((await encodeDocument(graph)).bytes);

describe("readBucketGraph", () => {
  it("reads the graph the store served: snapshot plus journal replayed, same seq; writes nothing", async () => {
    const { storage, writer } = await writtenBucket();
    expect(writer.head.journal.length).toBeGreaterThan(0);
    expect(writer.head.snapshot.seq).toBeGreaterThan(0);
    const recording = new RecordingStorage(storage);
    const read = await readBucketGraph(recording);
    expect(read!.graph.seq).toBe(writer.graph.seq);
    expect(read!.head).toEqual(writer.head);
    expect(await textOf(read!.graph)).toBe(await textOf(writer.graph));
    expect(recording.calls.length).toBeGreaterThan(0);
    expect(recording.calls.every((c) => c.op === "get" || c.op === "list")).toBe(true);
  });

  it("reads the head again when a writer compacted away what the head it read named", async () => {
    const { storage, writer } = await writtenBucket();
    const oldSnapshot = writer.head.snapshot.key;
    let compacted = false;
    // A writer still on the old code commits and compacts right after our head read.
    const racing = new Proxy(storage, {
      get(target, key, receiver) {
        if (key !== "get") return Reflect.get(target, key, receiver);
        return async (k: string) => {
          if (k === oldSnapshot && !compacted) {
            compacted = true;
            await writer.putNode("LATE", { type: "t" });
            await writer.compact();
          }
          return target.get(k);
        };
      },
    }) as StorageAdapter;
    const read = await readBucketGraph(racing);
    expect(compacted).toBe(true);
    expect(await storage.get(oldSnapshot)).toBeNull();
    expect(read!.graph.hasNode("LATE")).toBe(true);
    expect(await textOf(read!.graph)).toBe(await textOf(writer.graph));
  });

  it("null for a bucket without a head; damage or a missing object is an IntegrityError naming it", async () => {
    expect(await readBucketGraph(new MemoryStorage())).toBeNull();
    const { storage, writer } = await writtenBucket();
    const entry = writer.head.journal[0]!;
    const stored = (await storage.get(entry.key))!;
    await storage.put(entry.key, stored.body.slice(0, -3));
    await expect(readBucketGraph(storage)).rejects.toMatchObject({ code: "malformed_json", file: entry.key });
    await storage.put(entry.key, stored.body);
    const snapshot = (await storage.get(writer.head.snapshot.key))!;
    await storage.put(writer.head.snapshot.key, "{}");
    await expect(readBucketGraph(storage)).rejects.toMatchObject({ file: writer.head.snapshot.key });
    await storage.put(writer.head.snapshot.key, snapshot.body);
    await storage.delete(entry.key);
    await expect(readBucketGraph(storage)).rejects.toMatchObject({
      code: "integrity_error",
      file: entry.key,
    });
  });
});
