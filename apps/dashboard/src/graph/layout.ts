import { inferSettings } from "graphology-layout-forceatlas2";
import defaults from "graphology-layout-forceatlas2/defaults.js";
import { type FromWorker, PPE, PPN, type ToWorker } from "./fa2-protocol.ts";
import type { ViewGraph } from "./graph-model.ts";

export type LayoutStatus = "running" | "stopped";

/**
 * ForceAtlas2 in a web worker, stopped after a time budget that grows with the graph (it has
 * settled enough to read by then, and a graph that never stops moving is hard to click). The
 * user can stop it early or run it again from where it is.
 */
export class LayoutRunner {
  #graph: ViewGraph;
  #worker: Worker | null = null;
  #running = false;
  #onStatus: (status: LayoutStatus) => void;

  constructor(graph: ViewGraph, onStatus: (status: LayoutStatus) => void) {
    this.#graph = graph;
    this.#onStatus = onStatus;
  }

  /** Read when a run starts: the neighbourhood view's graph grows between runs. */
  get budgetMs(): number {
    return Math.min(10_000, 2_000 + this.#graph.order * 0.4);
  }

  get running(): boolean {
    return this.#running;
  }

  start(budgetMs = this.budgetMs): void {
    const graph = this.#graph;
    if (graph.order < 2) return;
    this.#worker ??= this.#spawn();
    const { nodes, edges } = toMatrices(graph);
    // Small graphs get more repulsion: they have room, and labels then overlap less.
    const inferred = inferSettings(graph);
    const settings = {
      ...defaults,
      ...inferred,
      scalingRatio: graph.order < 500 ? 40 : (inferred.scalingRatio ?? 10),
      edgeWeightInfluence: 1,
    };
    const message: ToWorker = {
      type: "start",
      nodes,
      edges,
      settings,
      budgetMs,
      postEveryMs: graph.order < 2_000 ? 50 : graph.order < 10_000 ? 250 : 500,
    };
    this.#worker.postMessage(message, [nodes.buffer, edges.buffer]);
    this.#running = true;
    this.#onStatus("running");
  }

  stop(): void {
    if (!this.#running) return;
    const message: ToWorker = { type: "stop" };
    this.#worker?.postMessage(message);
  }

  /**
   * A fresh run over the graph as it is now. The old worker is terminated rather than stopped: a
   * stopped one still sends its last positions, in the old node order, after nodes were added.
   */
  restart(): void {
    this.kill();
    this.#onStatus("stopped");
    this.start();
  }

  kill(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#running = false;
  }

  #spawn(): Worker {
    const worker = new Worker(new URL("./fa2-worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const { positions, done } = event.data;
      // A message from a worker that was killed since (the neighbourhood view kills the run
      // before it adds nodes), or positions for another node set: applying them by index would
      // put nodes in the wrong places.
      if (worker !== this.#worker) return;
      if (positions.length === this.#graph.order * 2) {
        let j = 0;
        this.#graph.updateEachNodeAttributes(
          (_node, attrs) => {
            attrs.x = positions[j]!;
            attrs.y = positions[j + 1]!;
            j += 2;
            return attrs;
          },
          { attributes: ["x", "y"] },
        );
      }
      if (done) {
        this.#running = false;
        this.#onStatus("stopped");
      }
    };
    worker.onerror = () => {
      this.#running = false;
      this.#onStatus("stopped");
    };
    return worker;
  }
}

/** The graph as ForceAtlas2's flat matrices (node order = `forEachNode` order). */
function toMatrices(graph: ViewGraph): { nodes: Float32Array; edges: Float32Array } {
  const nodes = new Float32Array(graph.order * PPN);
  const edges = new Float32Array(graph.size * PPE);
  const offset = new Map<string, number>();
  let i = 0;
  graph.forEachNode((node, attrs) => {
    offset.set(node, i);
    nodes[i] = attrs.x;
    nodes[i + 1] = attrs.y;
    nodes[i + 6] = 1; // mass: 1 + weighted degree, below
    nodes[i + 7] = 1; // convergence
    nodes[i + 8] = attrs.size;
    i += PPN;
  });
  let e = 0;
  graph.forEachEdge((_edge, attrs, source, target) => {
    const s = offset.get(source)!;
    const t = offset.get(target)!;
    nodes[s + 6]! += attrs.weight;
    nodes[t + 6]! += attrs.weight;
    edges[e] = s;
    edges[e + 1] = t;
    edges[e + 2] = attrs.weight;
    e += PPE;
  });
  return { nodes, edges };
}
