import { ValidationError } from "../errors/errors.ts";
import { deterministicEdgeId } from "../format/read-document.ts";
import type { BatchOp, EdgeInput } from "../format/schemas.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { isPlainObject } from "../graph/merge-patch.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "../graph/types.ts";
import { assertId } from "../graph/validate.ts";

/**
 * Turns requests (API calls, batch ops) into fully resolved change records: timestamps and
 * generated ids are filled in here, once, so replaying the records is deterministic.
 */
export function resolveNodePut(
  graph: KnowledgeGraph,
  id: string,
  input: { type: string; data?: JsonObject },
  at: string,
): Extract<Change, { op: "put_node" }> {
  assertId(id, "node id");
  const previous = graph.getNode(id);
  const node: GraphNode = {
    ...(previous ?? {}),
    id,
    type: input.type,
    data: input.data ?? {},
    created_at: previous?.created_at ?? at,
    updated_at: at,
  };
  return { op: "put_node", at, node };
}

export function resolveEdge(
  graph: KnowledgeGraph,
  input: EdgeInput,
  at: string,
  usedInBatch: Set<string>,
): Extract<Change, { op: "add_edge" }> {
  const id =
    input.id ??
    deterministicEdgeId(
      input.from,
      input.to,
      input.type,
      (candidate) => usedInBatch.has(candidate) || graph.getEdge(candidate) !== undefined,
    );
  usedInBatch.add(id);
  const edge: GraphEdge = {
    id,
    from: input.from,
    to: input.to,
    type: input.type,
    strength: input.strength ?? 1,
    created_at: at,
  };
  if (input.metadata !== undefined) edge.metadata = input.metadata;
  return { op: "add_edge", at, edge };
}

/** Resolves every op of a batch; an op that cannot be resolved names its index. */
export function resolveBatch(graph: KnowledgeGraph, ops: readonly BatchOp[], at: string): Change[] {
  const used = new Set<string>();
  return ops.map((op, index) => {
    try {
      switch (op.op) {
        case "put_node":
          return resolveNodePut(graph, op.id, { type: op.type, data: op.data ?? {} }, at);
        case "patch_node":
          return { op: "patch_node", at, id: op.id, data: op.data };
        case "delete_node":
          return { op: "delete_node", at, id: op.id };
        case "add_edge":
          return resolveEdge(graph, op, at, used);
        case "delete_edge":
          return { op: "delete_edge", at, id: op.id };
        case "put_pattern":
          if (!isPlainObject(op.pattern)) throw new ValidationError("pattern must be an object");
          return { op: "put_pattern", at, id: op.id, pattern: op.pattern as Pattern };
        case "delete_pattern":
          return { op: "delete_pattern", at, id: op.id };
        default:
          throw new ValidationError(`unknown op ${JSON.stringify((op as { op?: unknown }).op)}`);
      }
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(`op ${index}: ${err.message}`, {
          cause: err,
          details: { index, code: err.code },
        });
      }
      throw err;
    }
  });
}
