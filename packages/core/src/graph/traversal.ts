import type { GraphEdge, GraphNode } from "./types.ts";

/** The read side of the graph that traversals need. */
export interface TraversalSource {
  getNode(id: string): GraphNode | undefined;
  outEdges(id: string): GraphEdge[];
  inEdges(id: string): GraphEdge[];
}

export type Direction = "in" | "out" | "both";

export interface NeighborOptions {
  direction?: Direction;
  /** Hops to follow, 1–5 (clamped). */
  depth?: number;
  /** Follow only edges of this type. */
  edgeType?: string;
}

export interface Neighborhood {
  /** Nodes reached within `depth` hops, nearest first; the start node is not included. */
  nodes: GraphNode[];
  /** Every edge followed, each once. */
  edges: GraphEdge[];
}

export const MAX_NEIGHBOR_DEPTH = 5;

/** Breadth-first neighbourhood of `id`. Unknown ids give an empty neighbourhood. */
export function neighbors(graph: TraversalSource, id: string, options: NeighborOptions = {}): Neighborhood {
  const direction = options.direction ?? "both";
  const depth = clampInt(options.depth, 1, 1, MAX_NEIGHBOR_DEPTH);
  const result: Neighborhood = { nodes: [], edges: [] };
  if (!graph.getNode(id)) return result;
  const seenNodes = new Set([id]);
  const seenEdges = new Set<string>();
  let frontier = [id];
  for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const current of frontier) {
      const candidates: Array<[GraphEdge, string]> = [];
      if (direction !== "in") for (const e of graph.outEdges(current)) candidates.push([e, e.to]);
      if (direction !== "out") for (const e of graph.inEdges(current)) candidates.push([e, e.from]);
      for (const [edge, other] of candidates) {
        if (options.edgeType !== undefined && edge.type !== options.edgeType) continue;
        if (!seenEdges.has(edge.id)) {
          seenEdges.add(edge.id);
          result.edges.push(edge);
        }
        if (!seenNodes.has(other)) {
          seenNodes.add(other);
          result.nodes.push(graph.getNode(other)!);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  return result;
}

export interface PathOptions {
  /** Longest path in edges (default 4, at most 8). */
  maxDepth?: number;
  /** Most paths returned (default 20). */
  limit?: number;
  /** Bound on search work so a dense graph cannot stall a request (default 200,000 expansions). */
  maxExpansions?: number;
}

export interface WeightedPath {
  nodes: string[];
  edges: string[];
  /** Product of the edge strengths. */
  strength: number;
}

interface Partial {
  nodes: string[];
  edges: string[];
  strength: number;
}

/**
 * Simple directed paths from `from` to `to`, strongest first. Strengths are in [0, 1], so
 * extending a path never makes it stronger: a best-first search therefore finds paths in
 * descending strength order and can stop after `limit` of them.
 */
export function paths(
  graph: TraversalSource,
  from: string,
  to: string,
  options: PathOptions = {},
): WeightedPath[] {
  const maxDepth = clampInt(options.maxDepth, 4, 1, 8);
  const limit = clampInt(options.limit, 20, 1, Number.MAX_SAFE_INTEGER);
  let budget = options.maxExpansions ?? 200_000;
  const found: WeightedPath[] = [];
  if (!graph.getNode(from) || !graph.getNode(to) || from === to) return found;
  const heap = new MaxHeap<Partial>((a, b) => a.strength - b.strength);
  heap.push({ nodes: [from], edges: [], strength: 1 });
  while (heap.size > 0 && found.length < limit && budget-- > 0) {
    const path = heap.pop()!;
    const last = path.nodes[path.nodes.length - 1]!;
    if (last === to) {
      found.push(path);
      continue;
    }
    if (path.edges.length >= maxDepth) continue;
    for (const edge of graph.outEdges(last)) {
      if (path.nodes.includes(edge.to)) continue;
      heap.push({
        nodes: [...path.nodes, edge.to],
        edges: [...path.edges, edge.id],
        strength: path.strength * edge.strength,
      });
    }
  }
  return found;
}

/** An integer option clamped to [min, max]; anything non-numeric means the default. */
function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  const n = typeof value === "number" && !Number.isNaN(value) ? Math.trunc(value) : fallback;
  return Math.max(min, Math.min(max, n));
}

/** A small binary max-heap (no dependency needed for one use). */
class MaxHeap<T> {
  readonly #items: T[] = [];
  constructor(readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) <= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.compare(items[l]!, items[best]!) > 0) best = l;
        if (r < items.length && this.compare(items[r]!, items[best]!) > 0) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}
