import type { ForceAtlas2Settings } from "graphology-layout-forceatlas2";

/** Fields per node and per edge in ForceAtlas2's flat matrices (graphology's layout). */
export const PPN = 10;
export const PPE = 3;

/** Main thread → layout worker. */
export type ToWorker =
  | {
      type: "start";
      nodes: Float32Array;
      edges: Float32Array;
      settings: Required<ForceAtlas2Settings>;
      budgetMs: number;
      /** How often positions are sent back: each send makes sigma redraw. */
      postEveryMs: number;
    }
  | { type: "stop" };

/** Layout worker → main thread: x, y per node in matrix order. */
export interface FromWorker {
  positions: Float32Array;
  done: boolean;
  iterations: number;
}
