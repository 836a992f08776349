import { MultiDirectedGraph } from "graphology";
import type { GraphDocument, GraphEdge, GraphNode } from "../api/types.ts";
import { typeColors } from "./type-colors.ts";

/** sigma reserves `type` for its render program, so the DawsOS type is `kind`. */
export interface NodeAttrs {
  label: string;
  x: number;
  y: number;
  size: number;
  color: string;
  kind: string;
}

export interface EdgeAttrs {
  size: number;
  color: string;
  /** The edge's `strength` (0–1): ForceAtlas2 weight and rendered width. */
  weight: number;
  kind: string;
}

export type ViewGraph = MultiDirectedGraph<NodeAttrs, EdgeAttrs>;

export interface GraphModel {
  graph: ViewGraph;
  /** Node count per type, most frequent first. */
  typeCounts: Map<string, number>;
  colors: Map<string, string>;
  /** Most nodes kept their place from the previous model: no need to run the layout again. */
  positioned: boolean;
}

/** Edges fade as they multiply, so a dense graph still shows its nodes. */
export const edgeColor = (edges: number) =>
  edges > 20_000
    ? "rgba(100, 116, 139, 0.25)"
    : edges > 2_000
      ? "rgba(100, 116, 139, 0.4)"
      : "rgba(100, 116, 139, 0.7)";

/** An edge as drawn: as wide as its strength, which is also its ForceAtlas2 weight. */
export function edgeAttrs(edge: Pick<GraphEdge, "type" | "strength">, color: string): EdgeAttrs {
  const strength = typeof edge.strength === "number" ? edge.strength : 0.5;
  return { size: 0.5 + strength * 2.5, color, weight: Math.max(strength, 0.01), kind: edge.type };
}

/** A node's name, else its symbol, else its id. */
export function nodeLabel(node: Pick<GraphNode, "id" | "data">): string {
  const { name, symbol } = node.data;
  if (typeof name === "string" && name.trim()) return name;
  if (typeof symbol === "string" && symbol.trim()) return symbol;
  return node.id;
}

/** The label drawn in the graph: a ticker is shorter than a company name and reads better there. */
export function graphLabel(node: Pick<GraphNode, "id" | "data">): string {
  const { symbol } = node.data;
  return typeof symbol === "string" && symbol.trim() ? symbol : nodeLabel(node);
}

/**
 * The graph document (`GET /api/graph`) as a graphology graph for sigma: nodes coloured by
 * type and sized by degree, edges as wide as their strength, and a starting position that groups
 * each type around a circle (deterministic, so the same graph always starts the same way, and
 * ForceAtlas2 has less to undo than from pure noise). Nodes already placed in `previous` (the
 * graph before a reload) keep their place.
 */
export function buildGraphModel(doc: GraphDocument, previous?: ViewGraph): GraphModel {
  const nodes = Object.values(doc.nodes);
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.type, (counts.get(node.type) ?? 0) + 1);
  const typeCounts = byFrequency(counts);
  const colors = typeColors(typeCounts);

  const graph: ViewGraph = new MultiDirectedGraph<NodeAttrs, EdgeAttrs>({ allowSelfLoops: true });
  const centres = typeCentres(typeCounts, nodes.length);
  let kept = 0;
  for (const node of nodes) {
    const old = previous?.hasNode(node.id) ? previous.getNodeAttributes(node.id) : undefined;
    if (old) kept++;
    const centre = centres.get(node.type) ?? { x: 0, y: 0, r: 1 };
    const random = seededRandom(node.id);
    const angle = random() * Math.PI * 2;
    const radius = Math.sqrt(random()) * centre.r;
    graph.addNode(node.id, {
      label: graphLabel(node),
      x: old ? old.x : centre.x + Math.cos(angle) * radius,
      y: old ? old.y : centre.y + Math.sin(angle) * radius,
      size: 2,
      color: colors.get(node.type) ?? "#64748b",
      kind: node.type,
    });
  }
  const color = edgeColor(doc.edges.length);
  for (const edge of doc.edges) {
    if (!graph.hasNode(edge.from) || !graph.hasNode(edge.to) || graph.hasEdge(edge.id)) continue;
    graph.addDirectedEdgeWithKey(edge.id, edge.from, edge.to, edgeAttrs(edge, color));
  }
  const small = graph.order < 2_000;
  graph.forEachNode((id) => {
    const degree = graph.degree(id);
    graph.setNodeAttribute(
      id,
      "size",
      (small ? 5 : 2) + Math.min(small ? 14 : 10, (small ? 2 : 1.6) * Math.sqrt(degree)),
    );
  });
  performance.mark("dawsos:graph-built");
  return { graph, typeCounts, colors, positioned: nodes.length > 0 && kept >= nodes.length * 0.9 };
}

/** Type counts, most frequent first (ties by name): the order of the type filter and the palette. */
export function byFrequency(counts: Iterable<[string, number]>): Map<string, number> {
  return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

function typeCentres(
  typeCounts: Map<string, number>,
  total: number,
): Map<string, { x: number; y: number; r: number }> {
  const centres = new Map<string, { x: number; y: number; r: number }>();
  const ring = Math.sqrt(Math.max(total, 1)) * 12;
  const types = [...typeCounts.entries()];
  types.forEach(([type, count], i) => {
    const angle = (i / Math.max(types.length, 1)) * Math.PI * 2;
    const distance = types.length === 1 ? 0 : ring;
    centres.set(type, {
      x: Math.cos(angle) * distance,
      y: Math.sin(angle) * distance,
      r: Math.sqrt(count) * 8 + 4,
    });
  });
  return centres;
}

/** mulberry32 seeded with the FNV-1a hash of `key`. */
export function seededRandom(key: string): () => number {
  let seed = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    seed ^= key.charCodeAt(i);
    seed = Math.imul(seed, 0x01000193);
  }
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
