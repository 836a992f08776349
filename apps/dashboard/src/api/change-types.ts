/**
 * Shapes of the change feed (`GET /api/changes`, SPEC section 5) and of a node's history
 * (`GET /api/nodes/:id/history`), as the dashboard reads them. They mirror
 * `packages/core/src/changes/change-record.ts` and `packages/core/src/graph/changes.ts`.
 */
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "./types.ts";

/** One change of a commit: what the journal records, fully resolved. */
export type Change =
  | { op: "put_node"; at: string; node: GraphNode }
  | { op: "patch_node"; at: string; id: string; data: JsonObject }
  | { op: "delete_node"; at: string; id: string }
  | { op: "add_edge"; at: string; edge: GraphEdge }
  | { op: "delete_edge"; at: string; id: string }
  | { op: "put_pattern"; at: string; id: string; pattern: Pattern }
  | { op: "delete_pattern"; at: string; id: string };

/** `api`, `cli`, `workflow:<name>`, `import`, `restore`, `cron`; `null` for old records. */
export type ChangeSource = string | null;

/** One committed change record: an SSE `change` event's data, or an item of a JSON page. */
export interface ChangeItem {
  /** The graph's `seq` after this commit. */
  seq: number;
  at: string;
  source: ChangeSource;
  /** The label of the credential that made it, when one is configured. */
  actor?: string;
  changes: Change[];
  /** The whole graph was replaced (an import or a restore): reload instead of applying. */
  replaced?: { nodes: number; edges: number; patterns: number };
}

/** One entry of `GET /api/nodes/:id/history`, newest first. */
export interface HistoryEntry {
  /** The `seq` the graph reached with this very change. */
  seq: number;
  at: string;
  source: ChangeSource;
  actor?: string;
  op: Change["op"];
  change: Change;
}

/** The `seq` before a commit record's first change (records carry the `seq` after their last). */
export function seqBefore(item: Pick<ChangeItem, "seq" | "changes">): number {
  return item.seq - item.changes.length;
}
