import { DawsosError } from "../errors/errors.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { type BuildChanges, prepareChanges } from "../store/mutations.ts";
import type { SqlExec } from "./sql-database.ts";
import { SqlGraphReads } from "./sql-graph-reads.ts";
import { SqlGraphWrites } from "./sql-graph-writes.ts";
import type { GraphTables } from "./sql-schema.ts";
import { readSeq, writeState } from "./sql-state.ts";
import { WorkingGraph } from "./working-graph.ts";

/**
 * One commit, run inside `transactionSync` (so a throw anywhere rolls the tables back):
 *
 *   1. the precondition and `build` run against a `WorkingGraph` of the current tables;
 *   2. every record the changes name is loaded into it, then `prepareChanges` validates,
 *      encodes and applies them in memory exactly as every other store does (all or nothing,
 *      same errors, `changeIndex` on the failing one);
 *   3. the outcome is written back: nodes by final state, edges and patterns change by change
 *      (their order of insertion is observable: adjacency and pattern order), then `seq`
 *      (advanced by one per change, as on Node, so ETags agree) and `metadata.modified`.
 */
export function commitInTables<T>(
  sql: SqlExec,
  t: GraphTables,
  hasher: HasherFactory,
  build: BuildChanges,
  precondition: ((graph: KnowledgeGraph) => void) | undefined,
  result: (graph: KnowledgeGraph, seq: number) => T,
): T {
  const reads = new SqlGraphReads(sql, t);
  const graph = new WorkingGraph(reads, readSeq(sql), reads.metadata());
  precondition?.(graph);
  const changes = build(graph);
  if (changes.length === 0) return result(graph, graph.seq);
  load(graph, changes);
  prepareChanges(graph, changes, hasher);
  writeBack(new SqlGraphWrites(sql, t), graph, changes);
  writeState(sql, "seq", String(graph.seq));
  return result(graph, graph.seq);
}

/**
 * Loads what applying `changes` reads: the nodes, edges (with their endpoints) and patterns
 * they name. A node's other edges are not loaded: deleting it deletes them in SQL. Malformed
 * changes are skipped here; `prepareChanges` refuses them with the proper error.
 */
function load(graph: WorkingGraph, changes: readonly Change[]): void {
  const str = (v: unknown): v is string => typeof v === "string";
  for (const change of changes) {
    switch (change?.op) {
      case "put_node":
        if (str(change.node?.id)) graph.fetchNode(change.node.id);
        break;
      case "patch_node":
      case "delete_node":
        if (str(change.id)) graph.fetchNode(change.id);
        break;
      case "add_edge":
        if (str(change.edge?.id)) graph.fetchEdge(change.edge.id);
        if (str(change.edge?.from)) graph.fetchNode(change.edge.from);
        if (str(change.edge?.to)) graph.fetchNode(change.edge.to);
        break;
      case "delete_edge":
        if (str(change.id)) graph.fetchEdge(change.id);
        break;
      case "put_pattern":
      case "delete_pattern":
        if (str(change.id)) graph.fetchPattern(change.id);
        break;
    }
  }
}

function writeBack(writes: SqlGraphWrites, graph: WorkingGraph, changes: readonly Change[]): void {
  const lastTouch = new Map<string, number>();
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    try {
      switch (change.op) {
        case "add_edge":
          writes.insertEdge(change.edge);
          break;
        case "delete_edge":
          writes.deleteEdge(change.id);
          break;
        case "delete_node":
          writes.deleteEdgesOf(change.id);
          lastTouch.set(change.id, i);
          break;
        case "put_node":
          lastTouch.set(change.node.id, i);
          break;
        case "patch_node":
          lastTouch.set(change.id, i);
          break;
        case "put_pattern":
          writes.putPattern(change.id, change.pattern);
          break;
        case "delete_pattern":
          writes.deletePattern(change.id);
          break;
      }
    } catch (err) {
      throw withIndex(err, i);
    }
  }
  for (const [id, before] of graph.loadedNodes) {
    const after = graph.currentNode(id);
    if (after === before) continue;
    try {
      if (after) writes.putNode(after, before);
      else if (before) writes.deleteNode(before);
    } catch (err) {
      throw withIndex(err, lastTouch.get(id));
    }
  }
  writes.setMetadata(graph.metadata as Record<string, unknown>);
  writes.counts.write(writes.sql, writes.t);
}

/** Names the change a refused record came from (a batch reports the op's index). */
function withIndex(err: unknown, index: number | undefined): unknown {
  if (err instanceof DawsosError && index !== undefined) err.changeIndex = index;
  return err;
}
