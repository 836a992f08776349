import { captureSnapshot, documentText } from "../format/write-document.ts";
import type { PatternEvaluation } from "../graph/conditions.ts";
import type { Influence, KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { Neighborhood, NeighborOptions, PathOptions, WeightedPath } from "../graph/traversal.ts";
import type { GraphEdge, GraphNode, GraphStats, Pattern } from "../graph/types.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import {
  type DocumentInfo,
  type EdgeListQuery,
  type GraphCounts,
  type GraphReader,
  type LazyGraphService,
  type NodeListQuery,
  nodeMatchesQuery,
  type Page,
  pageLimit,
} from "./graph-reader.ts";
import type { GraphService } from "./graph-service.ts";

/** A store of either kind: one that holds its graph in memory, or one that is its own reader. */
export type AnyGraphService = GraphService | LazyGraphService;

/**
 * How to read `store`: a store that keeps its graph in memory (`graph`) is read through a
 * `KnowledgeGraphReader` that follows it (across restores); a lazy store is its own reader.
 */
export function graphReaderOf(store: AnyGraphService): GraphReader {
  return "graph" in store ? new KnowledgeGraphReader(() => store.graph) : store;
}

/**
 * `GraphReader` over an in-memory `KnowledgeGraph` (the Node store's `graph`): a thin wrapper,
 * the reference the SQLite store's reads are tested against. Pass a function to follow a store
 * whose `graph` is replaced on restore.
 */
export class KnowledgeGraphReader implements GraphReader {
  readonly #graph: () => KnowledgeGraph;
  readonly #hasher: HasherFactory | undefined;

  constructor(graph: KnowledgeGraph | (() => KnowledgeGraph), options: { hasher?: HasherFactory } = {}) {
    this.#graph = typeof graph === "function" ? graph : () => graph;
    this.#hasher = options.hasher;
  }

  async seq(): Promise<number> {
    return this.#graph().seq;
  }

  async counts(): Promise<GraphCounts> {
    const g = this.#graph();
    return { nodes: g.nodeCount, edges: g.edgeCount, patterns: g.patternCount, seq: g.seq };
  }

  async stats(): Promise<GraphStats> {
    return this.#graph().stats();
  }

  async getNode(id: string): Promise<GraphNode | undefined> {
    return this.#graph().getNode(id);
  }

  async getEdge(id: string): Promise<GraphEdge | undefined> {
    return this.#graph().getEdge(id);
  }

  async getPattern(id: string): Promise<Pattern | undefined> {
    return this.#graph().getPattern(id);
  }

  async listNodes(query: NodeListQuery = {}): Promise<Page<GraphNode>> {
    const g = this.#graph();
    const { type, q } = query;
    return keysetPage(g.sortedNodeIds(), query.cursor, pageLimit(query.limit), (id) => {
      const node = g.getNode(id);
      if (
        !node ||
        (type !== undefined && node.type !== type) ||
        (q !== undefined && !nodeMatchesQuery(node, q))
      )
        return undefined;
      return node;
    });
  }

  async listEdges(query: EdgeListQuery = {}): Promise<Page<GraphEdge>> {
    const g = this.#graph();
    const { from, to, type } = query;
    // With an endpoint given, page over that node's adjacency instead of every edge.
    const ids =
      from !== undefined
        ? g
            .outEdges(from)
            .map((e) => e.id)
            .sort()
        : to !== undefined
          ? g
              .inEdges(to)
              .map((e) => e.id)
              .sort()
          : g.sortedEdgeIds();
    return keysetPage(ids, query.cursor, pageLimit(query.limit), (id) => {
      const edge = g.getEdge(id);
      return edge &&
        (from === undefined || edge.from === from) &&
        (to === undefined || edge.to === to) &&
        (type === undefined || edge.type === type)
        ? edge
        : undefined;
    });
  }

  async influences(id: string): Promise<Influence[]> {
    return this.#graph().influences(id);
  }

  async neighbors(id: string, options?: NeighborOptions): Promise<Neighborhood> {
    return this.#graph().neighbors(id, options);
  }

  async paths(from: string, to: string, options?: PathOptions): Promise<WeightedPath[]> {
    return this.#graph().paths(from, to, options);
  }

  async patterns(): Promise<Array<[string, Pattern]>> {
    return [...this.#graph().patterns()];
  }

  async evaluatePatterns(): Promise<PatternEvaluation[]> {
    return this.#graph().evaluatePatterns();
  }

  async nodesByPatternType(type: string): Promise<GraphNode[]> {
    return this.#graph().nodesByPatternType(type);
  }

  async *document(info: DocumentInfo = {}): AsyncGenerator<string> {
    const snapshot = captureSnapshot(this.#graph());
    info.seq = snapshot.seq;
    yield* documentText(snapshot, this.#hasher);
  }
}

/** First index in sorted `ids` whose id is greater than `after` (binary search). */
function firstAfter(ids: readonly string[], after: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Keyset pagination over ids in code-unit order (what the API's `paginate` does): a page starts
 * after the cursor, and `nextCursor` is set only when another matching item follows.
 */
export function keysetPage<T>(
  sortedIds: readonly string[],
  cursor: string | undefined,
  limit: number,
  lookup: (id: string) => T | undefined,
): Page<T> {
  const start = cursor === undefined ? 0 : firstAfter(sortedIds, cursor);
  const items: T[] = [];
  let lastId: string | null = null;
  for (let i = start; i < sortedIds.length; i++) {
    const id = sortedIds[i]!;
    const item = lookup(id);
    if (item === undefined) continue;
    if (items.length === limit) return { items, nextCursor: lastId };
    items.push(item);
    lastId = id;
  }
  return { items, nextCursor: null };
}
