import { ConflictError, DawsosError, NotFoundError, UnknownNodeError } from "../errors/errors.ts";
import type { Change } from "./changes.ts";
import { evaluatePattern, type PatternEvaluation, patternNodeIds } from "./conditions.ts";
import { mergePatch } from "./merge-patch.ts";
import {
  type Neighborhood,
  type NeighborOptions,
  neighbors,
  type PathOptions,
  paths,
  type WeightedPath,
} from "./traversal.ts";
import {
  type GraphEdge,
  type GraphNode,
  type GraphStats,
  type JsonObject,
  nullProto,
  type Pattern,
} from "./types.ts";
import { assertChange, assertEdge, assertId, assertNode, assertPattern } from "./validate.ts";

/** Restores the graph to how it was before an `apply`. */
export type Undo = () => void;

export interface Influence {
  id: string;
  from: string;
  type: string;
  strength: number;
}

export interface KnowledgeGraphInit {
  seq?: number;
  metadata?: JsonObject;
  /** Unknown top-level document fields (e.g. the Python `forecasts`), kept verbatim. */
  extras?: JsonObject;
}

type UndoStep = () => void;

/**
 * The DawsOS knowledge graph: nodes, directed weighted edges, patterns and metadata, with
 * in/out adjacency and by-type indexes. All state lives in `Map`s, so ids such as `__proto__`
 * are ordinary keys.
 *
 * Mutation happens only through {@link KnowledgeGraph.apply} with change records; index upkeep
 * happens only in the attach/detach pairs below. Returned records are the stored ones: treat
 * them as read-only.
 */
export class KnowledgeGraph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly #edges = new Map<string, GraphEdge>();
  readonly #patterns = new Map<string, Pattern>();
  readonly #out = new Map<string, Set<string>>();
  readonly #in = new Map<string, Set<string>>();
  readonly #byType = new Map<string, Set<string>>();
  readonly #edgeTypes = new Map<string, number>();
  /** Ids in code-unit order, rebuilt lazily after ids are added or removed (for pagination). */
  #sortedNodeIds: string[] | null = null;
  #sortedEdgeIds: string[] | null = null;
  #seq: number;
  #metadata: JsonObject;
  #extras: JsonObject;

  constructor(init: KnowledgeGraphInit = {}) {
    this.#seq = init.seq ?? 0;
    this.#metadata = init.metadata ?? nullProto();
    this.#extras = init.extras ?? nullProto();
  }

  // ---------------------------------------------------------------- index upkeep (one place)

  #attachNode(node: GraphNode): void {
    if (!this.#nodes.has(node.id)) this.#sortedNodeIds = null;
    this.#nodes.set(node.id, node);
    let ids = this.#byType.get(node.type);
    if (!ids) {
      ids = new Set();
      this.#byType.set(node.type, ids);
    }
    ids.add(node.id);
  }

  #detachNode(node: GraphNode): void {
    this.#nodes.delete(node.id);
    this.#sortedNodeIds = null;
    this.#removeFromType(node);
  }

  /** Replaces a node by a new version of itself (same id): only the type index moves. */
  #swapNode(previous: GraphNode, next: GraphNode): void {
    if (previous.type === next.type) {
      // The usual update: same id, same type — the type index already holds it.
      this.#nodes.set(next.id, next);
      return;
    }
    this.#removeFromType(previous);
    this.#attachNode(next);
  }

  #removeFromType(node: GraphNode): void {
    const ids = this.#byType.get(node.type);
    ids?.delete(node.id);
    if (ids?.size === 0) this.#byType.delete(node.type);
  }

  #attachEdge(edge: GraphEdge): void {
    this.#edges.set(edge.id, edge);
    this.#sortedEdgeIds = null;
    addTo(this.#out, edge.from, edge.id);
    addTo(this.#in, edge.to, edge.id);
    this.#edgeTypes.set(edge.type, (this.#edgeTypes.get(edge.type) ?? 0) + 1);
  }

  #detachEdge(edge: GraphEdge): void {
    this.#edges.delete(edge.id);
    this.#sortedEdgeIds = null;
    removeFrom(this.#out, edge.from, edge.id);
    removeFrom(this.#in, edge.to, edge.id);
    const count = (this.#edgeTypes.get(edge.type) ?? 0) - 1;
    if (count > 0) this.#edgeTypes.set(edge.type, count);
    else this.#edgeTypes.delete(edge.type);
  }

  // ---------------------------------------------------------------- loading

  /** Adds a validated node while loading a document (no change record, no seq bump). */
  loadNode(node: GraphNode): void {
    assertNode(node);
    if (this.#nodes.has(node.id)) throw new ConflictError(`duplicate node id ${JSON.stringify(node.id)}`);
    this.#attachNode(node);
  }

  /** Adds a validated edge while loading a document; its endpoints must already be loaded. */
  loadEdge(edge: GraphEdge): void {
    assertEdge(edge);
    if (this.#edges.has(edge.id)) throw new ConflictError(`duplicate edge id ${JSON.stringify(edge.id)}`);
    if (!this.#nodes.has(edge.from)) throw new UnknownNodeError(edge.from);
    if (!this.#nodes.has(edge.to)) throw new UnknownNodeError(edge.to);
    this.#attachEdge(edge);
  }

  loadPattern(id: string, pattern: Pattern): void {
    assertId(id, "pattern id");
    assertPattern(pattern);
    this.#patterns.set(id, pattern);
  }

  // ---------------------------------------------------------------- mutation

  /**
   * Applies change records all-or-nothing. On a failing record every earlier record of the
   * call is undone and the error is rethrown with `changeIndex` set. The returned function
   * undoes the whole call (used to roll back changes that could not be made durable).
   */
  apply(changes: readonly Change[]): Undo {
    const steps: UndoStep[] = [];
    const seqBefore = this.#seq;
    const modifiedBefore = this.#metadata.modified;
    let undone = false;
    const undo: Undo = () => {
      // Idempotent: a second call must not re-apply the inverse steps.
      if (undone) return;
      undone = true;
      for (let i = steps.length - 1; i >= 0; i--) steps[i]!();
      this.#seq = seqBefore;
      if (modifiedBefore === undefined) delete this.#metadata.modified;
      else this.#metadata.modified = modifiedBefore;
    };
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      try {
        this.#applyOne(change, steps);
      } catch (err) {
        undo();
        if (err instanceof DawsosError) err.changeIndex = i;
        throw err;
      }
      this.#seq++;
      this.#metadata.modified = change.at;
    }
    return undo;
  }

  #applyOne(change: Change, steps: UndoStep[]): void {
    // Shapes and the value domain first: nothing below may throw half-way through a change.
    assertChange(change);
    switch (change.op) {
      case "put_node": {
        const previous = this.#nodes.get(change.node.id);
        if (previous) this.#swapNode(previous, change.node);
        else this.#attachNode(change.node);
        steps.push(() => {
          if (previous) this.#swapNode(change.node, previous);
          else this.#detachNode(change.node);
        });
        return;
      }
      case "patch_node": {
        const previous = this.#requireNode(change.id);
        const next: GraphNode = {
          ...previous,
          data: mergePatch(previous.data, change.data),
          updated_at: change.at,
        };
        this.#swapNode(previous, next);
        steps.push(() => this.#swapNode(next, previous));
        return;
      }
      case "delete_node": {
        const previous = this.#requireNode(change.id);
        const removed: GraphEdge[] = [];
        for (const edgeId of [...(this.#out.get(change.id) ?? []), ...(this.#in.get(change.id) ?? [])]) {
          const edge = this.#edges.get(edgeId);
          if (edge) {
            this.#detachEdge(edge);
            removed.push(edge);
          }
        }
        this.#detachNode(previous);
        steps.push(() => {
          this.#attachNode(previous);
          for (const edge of removed) this.#attachEdge(edge);
        });
        return;
      }
      case "add_edge": {
        const edge = change.edge;
        if (this.#edges.has(edge.id))
          throw new ConflictError(`edge ${JSON.stringify(edge.id)} already exists`);
        if (!this.#nodes.has(edge.from)) throw new UnknownNodeError(edge.from);
        if (!this.#nodes.has(edge.to)) throw new UnknownNodeError(edge.to);
        this.#attachEdge(edge);
        steps.push(() => this.#detachEdge(edge));
        return;
      }
      case "delete_edge": {
        const edge = this.#edges.get(change.id);
        if (!edge) throw new NotFoundError(`edge ${JSON.stringify(change.id)} does not exist`);
        this.#detachEdge(edge);
        steps.push(() => this.#attachEdge(edge));
        return;
      }
      case "put_pattern": {
        const previous = this.#patterns.get(change.id);
        this.#patterns.set(change.id, change.pattern);
        steps.push(() => {
          if (previous) this.#patterns.set(change.id, previous);
          else this.#patterns.delete(change.id);
        });
        return;
      }
      case "delete_pattern": {
        const previous = this.#patterns.get(change.id);
        if (!previous) throw new NotFoundError(`pattern ${JSON.stringify(change.id)} does not exist`);
        this.#patterns.delete(change.id);
        steps.push(() => this.#patterns.set(change.id, previous));
        return;
      }
      default: {
        const unknown: never = change;
        throw new NotFoundError(`unknown change op ${JSON.stringify((unknown as { op: unknown }).op)}`);
      }
    }
  }

  #requireNode(id: string): GraphNode {
    const node = this.#nodes.get(id);
    if (!node) throw new NotFoundError(`node ${JSON.stringify(id)} does not exist`);
    return node;
  }

  /** Sets the document-level members while loading (no change record). */
  setDocumentMembers(seq: number, metadata: JsonObject, extras: JsonObject): void {
    this.#seq = seq;
    this.#metadata = metadata;
    this.#extras = extras;
  }

  /**
   * Moves `seq` forward without a change (restores and replacements do this so an ETag is
   * never reused for different content). Never moves it back.
   */
  advanceSeq(to: number): void {
    if (to > this.#seq) this.#seq = to;
  }

  // ---------------------------------------------------------------- reads

  /** Number of changes applied since the graph was created; the graph's version. */
  get seq(): number {
    return this.#seq;
  }

  /** Document metadata without the derived `stats` (which `stats()` computes). */
  get metadata(): Readonly<JsonObject> {
    return this.#metadata;
  }

  get extras(): Readonly<JsonObject> {
    return this.#extras;
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  get edgeCount(): number {
    return this.#edges.size;
  }

  get patternCount(): number {
    return this.#patterns.size;
  }

  getNode(id: string): GraphNode | undefined {
    return this.#nodes.get(id);
  }

  hasNode(id: string): boolean {
    return this.#nodes.has(id);
  }

  getEdge(id: string): GraphEdge | undefined {
    return this.#edges.get(id);
  }

  getPattern(id: string): Pattern | undefined {
    return this.#patterns.get(id);
  }

  nodes(): IterableIterator<GraphNode> {
    return this.#nodes.values();
  }

  edges(): IterableIterator<GraphEdge> {
    return this.#edges.values();
  }

  patterns(): IterableIterator<[string, Pattern]> {
    return this.#patterns.entries();
  }

  /**
   * Node ids in code-unit order. Cached until a node is added or removed, so keyset
   * pagination (`cursor` = last id seen) stays cheap and stable while the graph changes.
   */
  sortedNodeIds(): readonly string[] {
    this.#sortedNodeIds ??= [...this.#nodes.keys()].sort(compareIds);
    return this.#sortedNodeIds;
  }

  /** Edge ids in code-unit order (cached like `sortedNodeIds`). */
  sortedEdgeIds(): readonly string[] {
    this.#sortedEdgeIds ??= [...this.#edges.keys()].sort(compareIds);
    return this.#sortedEdgeIds;
  }

  nodeTypes(): IterableIterator<string> {
    return this.#byType.keys();
  }

  /** Edges leaving `id` (empty when the node is unknown). */
  outEdges(id: string): GraphEdge[] {
    return this.#edgesOf(this.#out.get(id));
  }

  /** Edges arriving at `id` (empty when the node is unknown). */
  inEdges(id: string): GraphEdge[] {
    return this.#edgesOf(this.#in.get(id));
  }

  #edgesOf(ids: Set<string> | undefined): GraphEdge[] {
    const out: GraphEdge[] = [];
    if (ids) for (const id of ids) out.push(this.#edges.get(id)!);
    return out;
  }

  /** What influences `id`: its incoming edges, strongest first (the original "find influences"). */
  influences(id: string): Influence[] {
    return this.inEdges(id)
      .map((e) => ({ id: e.id, from: e.from, type: e.type, strength: e.strength }))
      .sort((a, b) => b.strength - a.strength || compareIds(a.from, b.from));
  }

  neighbors(id: string, options: NeighborOptions = {}): Neighborhood {
    return neighbors(this, id, options);
  }

  paths(from: string, to: string, options: PathOptions = {}): WeightedPath[] {
    return paths(this, from, to, options);
  }

  nodesByType(type: string): GraphNode[] {
    const ids = this.#byType.get(type);
    return ids ? [...ids].map((id) => this.#nodes.get(id)!) : [];
  }

  /** Nodes named by any pattern of `type` (conditions, `nodes`, `from`, `to`, `via`), by id. */
  nodesByPatternType(type: string): GraphNode[] {
    const ids = new Set<string>();
    for (const pattern of this.#patterns.values()) {
      if (pattern.type === type) for (const id of patternNodeIds(pattern)) ids.add(id);
    }
    return [...ids]
      .sort(compareIds)
      .map((id) => this.#nodes.get(id))
      .filter((n): n is GraphNode => n !== undefined);
  }

  /** Evaluates every pattern's trigger conditions against current node values. */
  evaluatePatterns(): PatternEvaluation[] {
    const getNode = (id: string) => this.#nodes.get(id);
    return [...this.#patterns].map(([id, pattern]) => evaluatePattern(id, pattern, getNode));
  }

  stats(): GraphStats {
    const nodeTypes = nullProto<number>();
    for (const type of [...this.#byType.keys()].sort()) nodeTypes[type] = this.#byType.get(type)!.size;
    const edgeTypes = nullProto<number>();
    for (const type of [...this.#edgeTypes.keys()].sort()) edgeTypes[type] = this.#edgeTypes.get(type)!;
    return {
      total_nodes: this.#nodes.size,
      total_edges: this.#edges.size,
      total_patterns: this.#patterns.size,
      node_types: nodeTypes,
      edge_types: edgeTypes,
      avg_connections: this.#nodes.size === 0 ? 0 : this.#edges.size / this.#nodes.size,
    };
  }
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

/** Code-unit order, the order RFC 8785 uses for keys. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
