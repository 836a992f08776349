import type { PatternEvaluation } from "../graph/conditions.ts";
import type { Influence } from "../graph/knowledge-graph.ts";
import type { Neighborhood, NeighborOptions, PathOptions, WeightedPath } from "../graph/traversal.ts";
import type { GraphEdge, GraphNode, GraphStats, Pattern } from "../graph/types.ts";
import type { GraphService } from "./graph-service.ts";

/** Default and largest page size of `listNodes` / `listEdges` (SPEC `GET /api/nodes`). */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/**
 * A page of a keyset listing in id order (code-unit order, as RFC 8785 sorts keys).
 * `nextCursor` is the last id of this page when more items follow, else `null`; pass it back as
 * `cursor` for the next page. It is the raw id: the HTTP layer encodes it opaquely.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `GET /api/nodes?type=&q=&limit=&cursor=`. */
export interface NodeListQuery {
  type?: string;
  /** Case-insensitive substring of the id, `data.name` or `data.symbol` (see `nodeMatchesQuery`). */
  q?: string;
  /** 1–1000, default 100. */
  limit?: number;
  /** Items start after this id. */
  cursor?: string;
}

/** `GET /api/edges?from=&to=&type=&limit=&cursor=`. */
export interface EdgeListQuery {
  from?: string;
  to?: string;
  type?: string;
  limit?: number;
  cursor?: string;
}

/** Filled in by `GraphReader.document` once the document's snapshot is taken. */
export interface DocumentInfo {
  seq?: number;
}

/** What `/health` shows. */
export interface GraphCounts {
  nodes: number;
  edges: number;
  patterns: number;
  seq: number;
}

/**
 * The reads the HTTP API needs, asynchronous and without materialising the whole graph: a store
 * that keeps the graph in tables (the SQLite store of the `GraphObject` Durable Object, SPEC
 * section 1) answers each from indexes. Results equal what the in-memory `KnowledgeGraph` gives
 * for the same history (`KnowledgeGraphReader`): same records, same order.
 *
 * Returned records are the stored ones: treat them as read-only.
 */
export interface GraphReader {
  /** Number of changes applied; the graph's version (HTTP `ETag` of the graph). */
  seq(): Promise<number>;
  counts(): Promise<GraphCounts>;
  stats(): Promise<GraphStats>;
  getNode(id: string): Promise<GraphNode | undefined>;
  getEdge(id: string): Promise<GraphEdge | undefined>;
  getPattern(id: string): Promise<Pattern | undefined>;
  listNodes(query?: NodeListQuery): Promise<Page<GraphNode>>;
  listEdges(query?: EdgeListQuery): Promise<Page<GraphEdge>>;
  /** Edges into `id`, strongest first (ties: by `from`, then insertion order). */
  influences(id: string): Promise<Influence[]>;
  /** Bounded breadth-first neighbourhood, as `traversal.ts` `neighbors`. */
  neighbors(id: string, options?: NeighborOptions): Promise<Neighborhood>;
  /** Strongest simple paths, as `traversal.ts` `paths`. */
  paths(from: string, to: string, options?: PathOptions): Promise<WeightedPath[]>;
  /** Every pattern, in insertion order (as `KnowledgeGraph.patterns()`). */
  patterns(): Promise<Array<[string, Pattern]>>;
  /** Evaluates every pattern, reading only the nodes its conditions name. */
  evaluatePatterns(): Promise<PatternEvaluation[]>;
  /** Nodes named by any pattern of `type`, by id. */
  nodesByPatternType(type: string): Promise<GraphNode[]>;
  /**
   * The whole document (SPEC section 4) as text chunks, in the canonical line layout of
   * `documentText` (so the trailer's checksum verifies), produced as the consumer pulls.
   * `info.seq` is set to the document's `seq` before its first chunk is produced (an HTTP
   * response needs it for its `ETag` before the body).
   */
  document(info?: DocumentInfo): AsyncIterable<string>;
}

/**
 * A store read through `GraphReader` instead of an in-memory `graph` (the SQLite store). Every
 * other member is `GraphService`'s, so the same contract suite runs against both kinds.
 */
export type LazyGraphService = Omit<GraphService, "graph"> & GraphReader;

/** A page size option clamped to 1–1000 (default 100); anything non-numeric means the default. */
export function pageLimit(limit: number | undefined): number {
  const n = typeof limit === "number" && Number.isFinite(limit) ? Math.trunc(limit) : DEFAULT_PAGE_LIMIT;
  return Math.max(1, Math.min(MAX_PAGE_LIMIT, n));
}

/** `GET /api/nodes?q=`: the id, `data.name` or `data.symbol` contains `q`, case-insensitively. */
export function nodeMatchesQuery(node: GraphNode, q: string): boolean {
  const needle = q.toLowerCase();
  const { name, symbol } = node.data as { name?: unknown; symbol?: unknown };
  return (
    node.id.toLowerCase().includes(needle) ||
    (typeof name === "string" && name.toLowerCase().includes(needle)) ||
    (typeof symbol === "string" && symbol.toLowerCase().includes(needle))
  );
}
