import { type Change, type ChangeItem, seqBefore } from "../api/change-types.ts";
import type { GraphDocument, GraphEdge, GraphNode } from "../api/types.ts";
import { type GraphModel, graphLabel, type ViewGraph } from "../graph/graph-model.ts";
import { typeColors } from "../graph/type-colors.ts";
import { mergePatch, setOwn } from "./merge-patch.ts";

/**
 * What applying one change record did:
 * - `applied`: the document (and the drawn graph) now stand at the record's `seq`;
 * - `stale`: the document already holds it (it was loaded after the record was committed);
 * - `reload`: it cannot be applied here (a gap in `seq`, a whole-graph replacement, a change
 *   that does not fit the document): reload the graph.
 */
export type ApplyResult = { status: "applied"; structural: boolean } | { status: "stale" | "reload" };

/**
 * Applies a change record of the feed to the loaded graph document, in place, and to the
 * drawn graphology model when there is one. In place because the document and the model are
 * what the open views already hold: a new model would make sigma start over (camera, layout).
 * Each change is as cheap as the server's own: no reload for a price update.
 */
export function applyChangeItem(doc: GraphDocument, model: GraphModel | null, item: ChangeItem): ApplyResult {
  if (item.replaced) return { status: "reload" };
  if (item.seq <= doc.seq) return { status: "stale" };
  if (seqBefore(item) !== doc.seq) return { status: "reload" };
  // Checked first so a record is applied whole or not at all.
  if (!item.changes.every((change, i) => fits(doc, item.changes.slice(0, i), change)))
    return { status: "reload" };
  let structural = false;
  for (const change of item.changes) {
    applyToDocument(doc, change);
    if (model && applyToModel(model, doc, change)) structural = true;
  }
  doc.seq = item.seq;
  return { status: "applied", structural };
}

/**
 * Whether `change` can apply to the document after `earlier` (the same record's changes before
 * it): a patch needs its node, and nothing else can fail against a consistent document.
 */
function fits(doc: GraphDocument, earlier: readonly Change[], change: Change): boolean {
  if (change.op !== "patch_node") return true;
  let exists = Object.hasOwn(doc.nodes, change.id);
  for (const c of earlier) {
    if (c.op === "put_node" && c.node.id === change.id) exists = true;
    if (c.op === "delete_node" && c.id === change.id) exists = false;
  }
  return exists;
}

function applyToDocument(doc: GraphDocument, change: Change): void {
  switch (change.op) {
    case "put_node":
      setOwn(doc.nodes, change.node.id, change.node);
      return;
    case "patch_node": {
      const node = doc.nodes[change.id]!;
      // A new object: views that hold the old one compare by identity.
      setOwn(doc.nodes, change.id, {
        ...node,
        data: mergePatch(node.data, change.data),
        updated_at: change.at,
      });
      return;
    }
    case "delete_node":
      delete doc.nodes[change.id];
      doc.edges = doc.edges.filter((e) => e.from !== change.id && e.to !== change.id);
      return;
    case "add_edge":
      doc.edges.push(change.edge);
      return;
    case "delete_edge":
      doc.edges = doc.edges.filter((e) => e.id !== change.id);
      return;
    case "put_pattern":
      setOwn(doc.patterns, change.id, change.pattern);
      return;
    case "delete_pattern":
      delete doc.patterns[change.id];
      return;
  }
}

/** Applies one change to the drawn graph; true when nodes or edges came or went (or a type changed). */
function applyToModel(model: GraphModel, doc: GraphDocument, change: Change): boolean {
  const { graph } = model;
  switch (change.op) {
    case "put_node": {
      const node = change.node;
      if (!graph.hasNode(node.id)) {
        addNode(model, node);
        return true;
      }
      const before = graph.getNodeAttribute(node.id, "kind");
      graph.mergeNodeAttributes(node.id, { label: graphLabel(node) });
      if (before === node.type) return false;
      countType(model, before, -1);
      countType(model, node.type, +1);
      graph.mergeNodeAttributes(node.id, { kind: node.type, color: colorOf(model, node.type) });
      return true;
    }
    case "patch_node": {
      const node = doc.nodes[change.id];
      if (node && graph.hasNode(change.id)) graph.setNodeAttribute(change.id, "label", graphLabel(node));
      return false;
    }
    case "delete_node": {
      if (!graph.hasNode(change.id)) return false;
      const neighbours = graph.neighbors(change.id).filter((id) => id !== change.id); // self-loops
      countType(model, graph.getNodeAttribute(change.id, "kind"), -1);
      graph.dropNode(change.id);
      for (const id of neighbours) resize(graph, id);
      return true;
    }
    case "add_edge": {
      const { edge } = change;
      if (graph.hasEdge(edge.id) || !graph.hasNode(edge.from) || !graph.hasNode(edge.to)) return false;
      graph.addDirectedEdgeWithKey(edge.id, edge.from, edge.to, edgeAttrs(edge, graph));
      resize(graph, edge.from);
      resize(graph, edge.to);
      return true;
    }
    case "delete_edge": {
      if (!graph.hasEdge(change.id)) return false;
      const [from, to] = graph.extremities(change.id);
      graph.dropEdge(change.id);
      resize(graph, from);
      resize(graph, to);
      return true;
    }
    default:
      return false;
  }
}

/**
 * A node that arrives live starts beside the nodes of its type (their centre, with a seeded
 * offset so several new nodes do not stack), where `buildGraphModel` would have grouped it.
 */
function addNode(model: GraphModel, node: GraphNode): void {
  const { graph } = model;
  let x = 0;
  let y = 0;
  let n = 0;
  graph.forEachNode((_id, attrs) => {
    if (attrs.kind !== node.type) return;
    x += attrs.x;
    y += attrs.y;
    n++;
  });
  const spread = Math.sqrt(Math.max(graph.order, 1)) * 4;
  const angle = hash01(node.id) * Math.PI * 2;
  countType(model, node.type, +1);
  graph.addNode(node.id, {
    label: graphLabel(node),
    x: (n > 0 ? x / n : 0) + Math.cos(angle) * spread,
    y: (n > 0 ? y / n : 0) + Math.sin(angle) * spread,
    size: 2,
    color: colorOf(model, node.type),
    kind: node.type,
  });
  resize(graph, node.id);
}

/** Type counts are replaced, not mutated: the type filter and counts re-render on a new Map. */
function countType(model: GraphModel, type: string, delta: number): void {
  const counts = new Map(model.typeCounts);
  const next = (counts.get(type) ?? 0) + delta;
  if (next > 0) counts.set(type, next);
  else counts.delete(type);
  model.typeCounts = counts;
}

/** A type's colour; a type new to this graph gets the palette's choice without recolouring others. */
function colorOf(model: GraphModel, type: string): string {
  let color = model.colors.get(type);
  if (color === undefined) {
    color = typeColors(new Map([...model.typeCounts, [type, 1]])).get(type) ?? "#64748b";
    model.colors = new Map(model.colors).set(type, color);
  }
  return color;
}

/** The size by degree `buildGraphModel` gives a node. */
function resize(graph: ViewGraph, id: string): void {
  const small = graph.order < 2_000;
  const degree = graph.degree(id);
  graph.setNodeAttribute(
    id,
    "size",
    (small ? 5 : 2) + Math.min(small ? 14 : 10, (small ? 2 : 1.6) * Math.sqrt(degree)),
  );
}

/** An edge drawn as `buildGraphModel` draws it: as wide as its strength, coloured like the rest. */
function edgeAttrs(edge: GraphEdge, graph: ViewGraph) {
  const strength = typeof edge.strength === "number" ? edge.strength : 0.5;
  const any = graph.findEdge(() => true);
  const color = any === undefined ? "rgba(100, 116, 139, 0.7)" : graph.getEdgeAttribute(any, "color");
  return { size: 0.5 + strength * 2.5, color, weight: Math.max(strength, 0.01), kind: edge.type };
}

/** A number in [0, 1) from a string (FNV-1a): the same node always lands in the same place. */
function hash01(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}
