import { MultiDirectedGraph } from "graphology";
import type { Change } from "../api/change-types.ts";
import type { GraphEdge, GraphNode, Neighbourhood } from "../api/types.ts";
import { mergePatch } from "../live/merge-patch.ts";
import {
  byFrequency,
  type EdgeAttrs,
  edgeAttrs,
  edgeColor,
  type GraphModel,
  graphLabel,
  type NodeAttrs,
  seededRandom,
  type ViewGraph,
} from "./graph-model.ts";

/**
 * Most nodes the neighbourhood view holds. sigma and ForceAtlas2 stay instant well past this;
 * the bound is about reading: a thousand labelled nodes is already more than anyone follows.
 */
export const MAX_SHOWN = 1_000;

/**
 * Most neighbours one expansion adds. A hub of the bench graph has ~2,000 neighbours: adding
 * them all at once would fill the view with one node's fan. "Show more" adds the next ones.
 */
export const PER_EXPANSION = 100;

const NODE_SIZE = 5;
/** Expanded nodes are drawn larger: the user can see which ones have shown their neighbours. */
const EXPANDED_SIZE = 9;
const EDGE_COLOR = edgeColor(0);

/** What one expansion did. */
export interface Expansion {
  added: number;
  /** The node's neighbours still not shown (the cap, or the per-expansion bound, held them back). */
  remaining: number;
}

/**
 * The part of a large graph the neighbourhood view shows, grown one node's neighbourhood at a
 * time (`GET /api/nodes/:id/neighbors`). It never holds more than `cap` nodes. Every edge an
 * answer mentioned is kept, so an edge between two nodes shown through different expansions is
 * drawn once both ends are in the view. The graphology graph is mutated in place: sigma follows
 * its events, so nothing is rebuilt when the view grows.
 */
export class NeighbourhoodGraph {
  /** For `GraphCanvas`: the same object for the view's whole life. */
  readonly model: GraphModel;
  /** The shown nodes as the API gave them. */
  readonly #nodes = new Map<string, GraphNode>();
  readonly #edges = new Map<string, GraphEdge>();
  /** Per expanded node: its neighbours not shown yet, in the API's order. */
  readonly #remaining = new Map<string, GraphNode[]>();
  /** Per expanded node: how many neighbours it has in all. */
  readonly #degree = new Map<string, number>();

  constructor(
    colors: Map<string, string>,
    readonly cap = MAX_SHOWN,
    readonly batch = PER_EXPANSION,
  ) {
    const graph: ViewGraph = new MultiDirectedGraph<NodeAttrs, EdgeAttrs>({ allowSelfLoops: true });
    // `positioned`: nothing to lay out when the canvas starts; each expansion asks for a layout.
    this.model = { graph, typeCounts: new Map(), colors, positioned: true };
  }

  get graph(): ViewGraph {
    return this.model.graph;
  }

  get shown(): number {
    return this.graph.order;
  }

  get full(): boolean {
    return this.shown >= this.cap;
  }

  /** A shown node as the API gave it. */
  node(id: string): GraphNode | undefined {
    return this.#nodes.get(id);
  }

  isExpanded(id: string): boolean {
    return this.#remaining.has(id);
  }

  /** How many neighbours `more(id)` would add now. */
  nextBatch(id: string): number {
    return Math.max(0, Math.min(this.batch, this.remaining(id), this.cap - this.shown));
  }

  /** Neighbours of an expanded node that are not in the view (0 for a node not expanded). */
  remaining(id: string): number {
    const list = this.#remaining.get(id);
    return list ? list.filter((n) => !this.graph.hasNode(n.id)).length : 0;
  }

  /** How many neighbours an expanded node has in the whole graph; undefined before it is expanded. */
  degree(id: string): number | undefined {
    return this.#degree.get(id);
  }

  /** Shown nodes per type, most frequent first. */
  typeCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    this.graph.forEachNode((_id, attrs) => counts.set(attrs.kind, (counts.get(attrs.kind) ?? 0) + 1));
    return byFrequency(counts);
  }

  /**
   * Shows `centre` (placed beside what is already shown when it is new) and up to `limit` of its
   * neighbours, from the answer of `GET /api/nodes/:id/neighbors?direction=both&depth=1`. The
   * centre itself is shown even when the view is full: the user asked for it by name.
   */
  expand(centre: GraphNode, hood: Neighbourhood, limit = this.batch): Expansion {
    const { graph } = this;
    if (!graph.hasNode(centre.id)) {
      const { x, y } = this.#besideView();
      graph.addNode(centre.id, this.#attrs(centre, x, y));
    }
    this.#nodes.set(centre.id, centre);
    graph.setNodeAttribute(centre.id, "size", EXPANDED_SIZE);
    for (const edge of hood.edges) this.#edges.set(edge.id, edge);
    const neighbours = hood.nodes.filter((n) => n.id !== centre.id);
    this.#degree.set(centre.id, neighbours.length);
    this.#remaining.set(centre.id, neighbours);
    return this.more(centre.id, limit);
  }

  /** Adds up to `limit` more neighbours of an expanded node, as the cap allows. */
  more(id: string, limit = this.batch): Expansion {
    const { graph } = this;
    const pending = (this.#remaining.get(id) ?? []).filter((n) => !graph.hasNode(n.id));
    if (!graph.hasNode(id)) return { added: 0, remaining: pending.length };
    const take = pending.slice(0, Math.max(0, Math.min(limit, this.cap - this.shown)));
    const { x: cx, y: cy } = graph.getNodeAttributes(id);
    // On a ring around the centre, each at its own angle (the golden angle spreads any count
    // evenly, and later batches fill the gaps of earlier ones); the layout takes it from there.
    const already = (this.#degree.get(id) ?? 0) - pending.length;
    const radius = 12 + 3 * Math.sqrt(this.#degree.get(id) ?? 1);
    take.forEach((node, i) => {
      const random = seededRandom(node.id);
      const angle = (already + i) * 2.399963 + random() * 0.2;
      const r = radius * (0.8 + random() * 0.4);
      graph.addNode(node.id, this.#attrs(node, cx + Math.cos(angle) * r, cy + Math.sin(angle) * r));
      this.#nodes.set(node.id, node);
    });
    this.#remaining.set(id, pending.slice(take.length));
    this.#linkKnownEdges();
    return { added: take.length, remaining: pending.length - take.length };
  }

  /** A node saved in the panel: its label follows. */
  update(node: GraphNode): void {
    if (!this.graph.hasNode(node.id)) return;
    this.#nodes.set(node.id, node);
    this.graph.setNodeAttribute(node.id, "label", graphLabel(node));
  }

  /**
   * A live change (the change feed), as far as it concerns what is shown: shown nodes follow
   * their puts and patches and leave when deleted; an edge is drawn once both its ends are
   * shown. Nodes not shown are not fetched for it. True when nodes or edges came or went.
   */
  applyChange(change: Change): boolean {
    const { graph } = this;
    switch (change.op) {
      case "put_node":
        this.update(change.node);
        return false;
      case "patch_node": {
        const node = this.#nodes.get(change.id);
        if (node) this.update({ ...node, data: mergePatch(node.data, change.data), updated_at: change.at });
        return false;
      }
      case "delete_node": {
        const { id } = change;
        for (const edge of this.#edges.values())
          if (edge.from === id || edge.to === id) this.#edges.delete(edge.id);
        for (const [centre, list] of this.#remaining)
          this.#remaining.set(
            centre,
            list.filter((n) => n.id !== id),
          );
        this.#remaining.delete(id);
        this.#degree.delete(id);
        this.#nodes.delete(id);
        if (!graph.hasNode(id)) return false;
        graph.dropNode(id);
        return true;
      }
      case "add_edge": {
        const { edge } = change;
        if (!graph.hasNode(edge.from) && !graph.hasNode(edge.to)) return false;
        this.#edges.set(edge.id, edge);
        this.#linkKnownEdges();
        return graph.hasEdge(edge.id);
      }
      case "delete_edge":
        this.#edges.delete(change.id);
        if (!graph.hasEdge(change.id)) return false;
        graph.dropEdge(change.id);
        return true;
      default:
        return false;
    }
  }

  clear(): void {
    this.graph.clear();
    this.#nodes.clear();
    this.#edges.clear();
    this.#remaining.clear();
    this.#degree.clear();
  }

  #attrs(node: GraphNode, x: number, y: number): NodeAttrs {
    return {
      label: graphLabel(node),
      x,
      y,
      size: NODE_SIZE,
      color: this.model.colors.get(node.type) ?? "#64748b",
      kind: node.type,
    };
  }

  /** Every known edge whose two ends are now shown. */
  #linkKnownEdges(): void {
    const { graph } = this;
    for (const edge of this.#edges.values()) {
      if (graph.hasEdge(edge.id) || !graph.hasNode(edge.from) || !graph.hasNode(edge.to)) continue;
      graph.addDirectedEdgeWithKey(edge.id, edge.from, edge.to, edgeAttrs(edge, EDGE_COLOR));
    }
  }

  /** A free spot to the right of everything shown, for a node that is not connected to it. */
  #besideView(): { x: number; y: number } {
    if (this.graph.order === 0) return { x: 0, y: 0 };
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    this.graph.forEachNode((_id, { x, y }) => {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    });
    return { x: maxX + Math.max(40, (maxX - minX) * 0.3), y: (minY + maxY) / 2 };
  }
}
