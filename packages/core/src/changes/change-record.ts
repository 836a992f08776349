import type { Change } from "../graph/changes.ts";
import type { ChangeSource } from "./change-source.ts";

/**
 * One committed change as the feed keeps it: a journal record (the changes of one commit, the
 * graph `seq` after them) with its audit fields, or a whole-graph replacement (an import or a
 * restore), which carries no changes but says what the graph became.
 */
export interface ChangeRecord {
  /** The graph's `seq` after this commit. */
  seq: number;
  /** The graph's `seq` before it (`seq - changes.length` for a commit; any lower seq for a replacement). */
  from: number;
  /** When it was committed (ISO 8601); for records written before audit fields, the first change's time. */
  at: string;
  /** `null` for records written before audit fields existed. */
  source: ChangeSource | null;
  actor?: string;
  changes: readonly Change[];
  /** Set when the whole graph was replaced: re-read the graph instead of applying changes. */
  replaced?: { nodes: number; edges: number; patterns: number };
}

/** `GET /api/changes` item and SSE event data (SPEC section 5). */
export interface ChangeItem {
  seq: number;
  at: string;
  source: ChangeSource | null;
  actor?: string;
  changes: readonly Change[];
  replaced?: { nodes: number; edges: number; patterns: number };
}

/** A page of the feed: records with `seq > since`, and where to continue. */
export interface ChangePage {
  items: ChangeItem[];
  next_since: number;
}

/** One entry of a node's history (`GET /api/nodes/:id/history`), newest first. */
export interface HistoryEntry {
  /** The `seq` the graph reached with this very change. */
  seq: number;
  at: string;
  source: ChangeSource | null;
  actor?: string;
  op: Change["op"];
  change: Change;
}

export function toItem(record: ChangeRecord): ChangeItem {
  // Key order is the wire order: seq, at, source, actor, changes.
  return {
    seq: record.seq,
    at: record.at,
    source: record.source,
    ...(record.actor === undefined ? {} : { actor: record.actor }),
    changes: record.changes,
    ...(record.replaced ? { replaced: record.replaced } : {}),
  };
}

/**
 * The nodes `change` creates, changes or removes, or adds an edge at: the changes a node's
 * history lists (a store may index records by these ids, as the Worker's changes table does).
 */
export function nodesTouched(change: Change): readonly string[] {
  switch (change.op) {
    case "put_node":
      return [change.node.id];
    case "patch_node":
    case "delete_node":
      return [change.id];
    case "add_edge":
      return [change.edge.from, change.edge.to];
    default:
      return [];
  }
}

/** Whether `change` creates, changes or removes node `id` (or adds an edge at it). */
export function touchesNode(change: Change, id: string): boolean {
  return nodesTouched(change).includes(id);
}

/** A record's history entries for node `id`, newest first. */
export function historyEntries(record: ChangeRecord, id: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (let i = record.changes.length - 1; i >= 0; i--) {
    const change = record.changes[i]!;
    if (!touchesNode(change, id)) continue;
    out.push({
      seq: record.from + i + 1,
      at: record.at,
      source: record.source,
      ...(record.actor === undefined ? {} : { actor: record.actor }),
      op: change.op,
      change,
    });
  }
  return out;
}
