import type { GraphStoreOptions } from "@dawsos/core";
import { nodeSha256 } from "@dawsos/storage-fs";

/**
 * Shared by the child writer (tests/crash/child-writer.ts) and the tests that reopen what it
 * left: both must open the store with the same seed and options.
 */
export const CRASH_SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    CPI: { type: "indicator", data: { value: 3.2 } },
    ECONOMIC_REGIME: { type: "regime", data: { current_state: "GOLDILOCKS" } },
  },
  edges: [
    { from: "GDP", to: "ECONOMIC_REGIME", type: "indicates_growth", strength: 0.9 },
    { from: "CPI", to: "ECONOMIC_REGIME", type: "indicates_inflation", strength: 0.8 },
  ],
  patterns: {},
};

/** Node type of every node the child writes. */
export const CHILD_NODE_TYPE = "k";

/** Small thresholds so a child compacts every few dozen commits (kills land in compactions). */
export const CRASH_STORE_OPTIONS: GraphStoreOptions = {
  seed: CRASH_SEED,
  hasher: nodeSha256,
  compactAfterRecords: 40,
};

/** Exit code of a child that could not take the writer lock. */
export const EXIT_LOCK_HELD = 3;
