import { describe, expect, it } from "vitest";
import { readBucketGraph } from "../bucket-store/read-bucket-graph.ts";
import { encodeDocument } from "../format/write-document.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { BucketLayoutWriter } from "./bucket-layout-writer.ts";
import { BUCKET_GRAPH_STORE_OBJECTS } from "./fixtures/bucket-graph-store-objects.ts";
import {
  LEGACY_COMPACT_AFTER,
  LEGACY_SCENARIO_START,
  LEGACY_SEED,
  runLegacyScenario,
} from "./legacy-bucket-scenario.ts";

/** Every object's text, keys with their random suffix replaced (the only part that may differ). */
async function objectsOf(storage: MemoryStorage): Promise<Record<string, string>> {
  const anonymous = (text: string) => text.replace(/(\/\d{16})-[0-9a-f]{16}(\.jsonl?)/g, "$1-<rand>$2");
  const out: Record<string, string> = {};
  for (const { key } of await storage.list("")) {
    out[anonymous(key)] = anonymous(bytesToText((await storage.get(key))!.body));
  }
  return out;
}

async function fixtureBucket(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  for (const [key, text] of Object.entries(BUCKET_GRAPH_STORE_OBJECTS)) await storage.put(key, text);
  return storage;
}

describe("BucketLayoutWriter (test-only writer of the retired R2 store's layout)", () => {
  it("writes the very objects BucketGraphStore wrote for the same history (captured before its removal)", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(LEGACY_SCENARIO_START);
    const writer = await BucketLayoutWriter.create(storage, {
      seed: LEGACY_SEED,
      clock,
      compactAfterRecords: LEGACY_COMPACT_AFTER,
    });
    await runLegacyScenario(writer, clock);
    const written = await objectsOf(storage);
    expect(written).toEqual(await objectsOf(await fixtureBucket()));
    // A compacted snapshot and a journal after it: a reader must replay, not just load.
    expect(writer.head.snapshot.seq).toBeGreaterThan(0);
    expect(writer.head.journal.length).toBeGreaterThan(1);
  });

  it("the fixture reads back (readBucketGraph) as the graph the writer holds, seq included", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(LEGACY_SCENARIO_START);
    const writer = await BucketLayoutWriter.create(storage, {
      seed: LEGACY_SEED,
      clock,
      compactAfterRecords: 3,
    });
    await runLegacyScenario(writer, clock);
    const read = await readBucketGraph(await fixtureBucket());
    expect(read!.graph.seq).toBe(writer.graph.seq);
    expect(read!.head.journal.length).toBe(6);
    const text = async (graph: typeof writer.graph) => bytesToText((await encodeDocument(graph)).bytes);
    expect(await text(read!.graph)).toBe(await text(writer.graph));
  });
});
