import type { GraphMutations } from "../store/mutations.ts";
import type { ManualClock } from "../util/clock.ts";

/** The seed of the scenario's bucket (small, so the snapshot is readable in a fixture). */
export const LEGACY_SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    CPI: { type: "indicator", data: { value: 3.2 } },
  },
  edges: [{ from: "GDP", to: "CPI", type: "drives", strength: 0.5 }],
  patterns: {},
};

/** Ids a careless copy would mangle: an astral character (a surrogate pair), a lone surrogate. */
export const ROCKET_ID = "🚀 launch";
export const LONE_SURROGATE_ID = "lone \ud800 surrogate";

/** Values a careless copy would mangle: escapes, NUL, U+2028, extreme numbers, a prototype name. */
export const HOSTILE_DATA = {
  name: '日本語 «quotes" and \\ backslash»',
  text: "line\nbreak\ttab\u0000nul\u2028sep",
  nested: { deep: [1, -2.5, 1e300, 5e-324, null, true, { "": "empty key" }] },
  constructor: "not a function",
};

/** The store's compaction threshold in the scenario: one compaction, then a journal of five commits. */
export const LEGACY_COMPACT_AFTER = 8;

/** When the scenario starts (its clock advances by whole seconds). */
export const LEGACY_SCENARIO_START = "2026-02-03T04:05:06.000Z";

/**
 * The graph history of the migration tests, run on the R2 store (`BucketGraphStore`, to capture
 * its objects before it was removed) and on `BucketLayoutWriter` (which must write the same
 * bytes): 13 commits — nodes with hostile ids and values, edges, a batch, patterns, patches,
 * deletions (a node with its edge, a pattern, an edge). With `compactAfterRecords:
 * LEGACY_COMPACT_AFTER` the bucket ends with a compacted snapshot and a journal after it.
 */
export async function runLegacyScenario(store: GraphMutations, clock: ManualClock): Promise<void> {
  const tick = () => clock.advance(1000);
  await store.putNode(ROCKET_ID, { type: "stock", data: HOSTILE_DATA });
  tick();
  await store.putNode(LONE_SURROGATE_ID, { type: "ünïcode", data: { symbol: "\ud83d" } });
  await store.putNode("__proto__", { type: "indicator", data: { value: 7 } });
  await store.addEdge({ from: ROCKET_ID, to: LONE_SURROGATE_ID, type: "drives", strength: 0.25 });
  tick();
  await store.applyBatch([
    { op: "put_node", id: "DOOMED", type: "t", data: { bye: true } },
    { op: "add_edge", from: "DOOMED", to: "GDP", type: "feeds", strength: 1 },
    { op: "add_edge", id: "e_keep_✓", from: "GDP", to: ROCKET_ID, type: "feeds", strength: 0 },
  ]);
  await store.putPattern("pattern_✓", {
    type: "REGIME_SHIFT",
    description: "unicode «pattern»",
    trigger_conditions: ["GDP > 2%", "CPI.data.value >= 3"],
    confidence: 0.75,
  });
  await store.putPattern("pattern_gone", { type: "X", trigger_conditions: [] });
  tick();
  await store.patchNode("GDP", { value: 9.75, note: "patched" });
  await store.deleteNode("DOOMED"); // its edge goes with it
  await store.deletePattern("pattern_gone");
  await store.putNode("constructor", { type: "t", data: {} });
  await store.deleteEdge((await store.addEdge({ from: "GDP", to: "__proto__", type: "x" })).id);
  await store.patchNode(ROCKET_ID, { price: 255.53 });
}
