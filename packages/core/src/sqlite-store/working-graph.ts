import { DawsosError } from "../errors/errors.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphEdge, GraphNode, GraphStats, JsonObject, Pattern } from "../graph/types.ts";
import type { SqlGraphReads } from "./sql-graph-reads.ts";

/**
 * The graph as one SQLite transaction sees it: a `KnowledgeGraph` that holds only the records
 * the transaction touched, each loaded from the tables the first time it is asked for. The
 * mutation code shared by every store (`GraphMutations`, `prepareChanges`,
 * `KnowledgeGraph.apply`) then runs on it unchanged: same validation, same errors, same
 * `changeIndex`; the store writes back what differs (`sql-commit.ts`).
 *
 * Whole-graph reads (`stats`, `nodes()`, `influences`, …) would silently see only the loaded
 * part, so they throw here: inside a transaction, read by id.
 */
export class WorkingGraph extends KnowledgeGraph {
  readonly #reads: SqlGraphReads;
  /** The stored record of every id looked up so far (`undefined`: not stored). */
  readonly loadedNodes = new Map<string, GraphNode | undefined>();
  readonly loadedEdges = new Map<string, GraphEdge | undefined>();
  readonly loadedPatterns = new Map<string, Pattern | undefined>();

  constructor(reads: SqlGraphReads, seq: number, metadata: JsonObject) {
    super({ seq, metadata });
    this.#reads = reads;
  }

  // ---------------------------------------------------------------- reads by id (loaded on demand)

  override getNode(id: string): GraphNode | undefined {
    this.fetchNode(id);
    return super.getNode(id);
  }

  override hasNode(id: string): boolean {
    this.fetchNode(id);
    return super.hasNode(id);
  }

  override getEdge(id: string): GraphEdge | undefined {
    this.fetchEdge(id);
    return super.getEdge(id);
  }

  override getPattern(id: string): Pattern | undefined {
    this.fetchPattern(id);
    return super.getPattern(id);
  }

  /** Loads node `id` from the tables unless it was looked up before. */
  fetchNode(id: string): void {
    if (this.loadedNodes.has(id)) return;
    const node = this.#reads.node(id);
    this.loadedNodes.set(id, node);
    if (node) this.loadNode(node);
  }

  /** Loads edge `id` (and its endpoints, which an edge needs in a `KnowledgeGraph`). */
  fetchEdge(id: string): void {
    if (this.loadedEdges.has(id)) return;
    const edge = this.#reads.edge(id);
    this.loadedEdges.set(id, edge);
    if (!edge) return;
    this.fetchNode(edge.from);
    this.fetchNode(edge.to);
    this.loadEdge(edge);
  }

  fetchPattern(id: string): void {
    if (this.loadedPatterns.has(id)) return;
    const pattern = this.#reads.pattern(id);
    this.loadedPatterns.set(id, pattern);
    if (pattern) this.loadPattern(id, pattern);
  }

  /** The record as it is now in this transaction, without loading anything. */
  currentNode(id: string): GraphNode | undefined {
    return super.getNode(id);
  }

  currentEdge(id: string): GraphEdge | undefined {
    return super.getEdge(id);
  }

  currentPattern(id: string): Pattern | undefined {
    return super.getPattern(id);
  }

  // ---------------------------------------------------------------- whole-graph reads: refused

  override get nodeCount(): number {
    return wholeGraph("nodeCount");
  }
  override get edgeCount(): number {
    return wholeGraph("edgeCount");
  }
  override get patternCount(): number {
    return wholeGraph("patternCount");
  }
  override nodes(): IterableIterator<GraphNode> {
    return wholeGraph("nodes");
  }
  override edges(): IterableIterator<GraphEdge> {
    return wholeGraph("edges");
  }
  override patterns(): IterableIterator<[string, Pattern]> {
    return wholeGraph("patterns");
  }
  override sortedNodeIds(): readonly string[] {
    return wholeGraph("sortedNodeIds");
  }
  override sortedEdgeIds(): readonly string[] {
    return wholeGraph("sortedEdgeIds");
  }
  override nodeTypes(): IterableIterator<string> {
    return wholeGraph("nodeTypes");
  }
  override outEdges(): GraphEdge[] {
    return wholeGraph("outEdges");
  }
  override inEdges(): GraphEdge[] {
    return wholeGraph("inEdges");
  }
  override influences(): never {
    return wholeGraph("influences");
  }
  override neighbors(): never {
    return wholeGraph("neighbors");
  }
  override paths(): never {
    return wholeGraph("paths");
  }
  override nodesByType(): GraphNode[] {
    return wholeGraph("nodesByType");
  }
  override nodesByPatternType(): GraphNode[] {
    return wholeGraph("nodesByPatternType");
  }
  override evaluatePatterns(): never {
    return wholeGraph("evaluatePatterns");
  }
  override stats(): GraphStats {
    return wholeGraph("stats");
  }
}

function wholeGraph(what: string): never {
  throw new DawsosError(
    "storage_error",
    `KnowledgeGraph.${what} is not available inside a SQLite store transaction: read by id, or use the store's GraphReader`,
  );
}
