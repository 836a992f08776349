import type { Change, ChangeItem } from "../api/change-types.ts";

/**
 * Whether `change` is in node `id`'s history as the server keeps it (`touchesNode` in
 * packages/core/src/changes/change-record.ts): the node put, patched or deleted, or an edge
 * added at it. A deleted edge names only its own id, so it is not in either end's history.
 */
export function inNodeHistory(change: Change, id: string): boolean {
  switch (change.op) {
    case "put_node":
      return change.node.id === id;
    case "patch_node":
    case "delete_node":
      return change.id === id;
    case "add_edge":
      return change.edge.from === id || change.edge.to === id;
    default:
      return false;
  }
}

/** What the open node's panel lists besides the node: its edges and the nodes at their other ends. */
export interface PanelLinks {
  edges: ReadonlySet<string>;
  nodes: ReadonlySet<string>;
}

/** Whether the open node's panel (its data, influences, neighbours) may show something else now. */
export function touchesNodePanel(change: Change, id: string, links: PanelLinks): boolean {
  switch (change.op) {
    case "delete_edge":
      return links.edges.has(change.id);
    // A neighbour deleted (its edge goes with it) or replaced (its type is listed).
    case "delete_node":
      return change.id === id || links.nodes.has(change.id);
    case "put_node":
      return change.node.id === id || links.nodes.has(change.node.id);
    default:
      return inNodeHistory(change, id);
  }
}

/**
 * The node ids a pattern condition reads (`<NODE_ID>[.<path>] <op> <number>`, SPEC section 4):
 * what a change must touch to change an evaluation.
 */
export function conditionNodeId(expr: string): string | null {
  const match = /^\s*([^\s.<>=!]+)/.exec(expr);
  return match ? match[1]! : null;
}

/** Whether `change` can change the pattern evaluations, which read the nodes in `ids`. */
export function touchesPatterns(change: Change, ids: ReadonlySet<string>): boolean {
  switch (change.op) {
    case "put_pattern":
    case "delete_pattern":
      return true;
    case "put_node":
      return ids.has(change.node.id);
    case "patch_node":
    case "delete_node":
      return ids.has(change.id);
    default:
      return false;
  }
}

/** The workflow that made a record (`source: "workflow:<name>"`), or `null`. */
export function workflowOf(item: ChangeItem): string | null {
  return item.source?.startsWith("workflow:") ? item.source.slice("workflow:".length) : null;
}
