import type { GraphEdge, GraphNode, JsonObject, Pattern } from "./types.ts";

/**
 * A change record: the one currency of mutation. Every write — a single API call, a batch,
 * journal replay, an R2 rebase — is a list of these, applied by `KnowledgeGraph.apply`.
 *
 * Records are fully resolved (timestamps and ids filled in, `at` = when it was made) so that
 * replaying them yields exactly the same graph, byte for byte.
 */
export type Change =
  | { op: "put_node"; at: string; node: GraphNode }
  | { op: "patch_node"; at: string; id: string; data: JsonObject }
  | { op: "delete_node"; at: string; id: string }
  | { op: "add_edge"; at: string; edge: GraphEdge }
  | { op: "delete_edge"; at: string; id: string }
  | { op: "put_pattern"; at: string; id: string; pattern: Pattern }
  | { op: "delete_pattern"; at: string; id: string };

export type ChangeOp = Change["op"];

export const CHANGE_OPS: readonly ChangeOp[] = [
  "put_node",
  "patch_node",
  "delete_node",
  "add_edge",
  "delete_edge",
  "put_pattern",
  "delete_pattern",
];
