import { useEffect, useRef, useState } from "preact/hooks";
import Sigma from "sigma";
import type { EdgeAttrs, GraphModel, NodeAttrs } from "./graph-model.ts";
import { LayoutRunner, type LayoutStatus } from "./layout.ts";
import { isPlain, reduceEdge, reduceNode, type ViewState } from "./reducers.ts";

export interface GraphCanvasProps {
  model: GraphModel;
  hiddenTypes: ReadonlySet<string>;
  selected: string | null;
  /** Nodes of a path to emphasise (the rest is dimmed). */
  highlight: ReadonlySet<string> | null;
  visible: boolean;
  onSelect: (id: string | null) => void;
  /**
   * The neighbourhood view grows its graph in place: each new value means "nodes were added",
   * so the reducers' neighbour set is recomputed and the layout runs again.
   */
  grown?: number;
  /**
   * Zoom onto a node when it is selected (default). In a 100-node neighbourhood the whole view
   * already fits, and zooming in would hide the neighbours that were just added.
   */
  zoomOnSelect?: boolean;
}

/**
 * sigma.js (WebGL) over the graphology model, with ForceAtlas2 running in a worker for a
 * bounded time. Filtering, selection and path highlighting are sigma reducers: nothing is
 * copied or rebuilt when they change, so a 20,000-node graph stays responsive.
 */
export function GraphCanvas({
  model,
  hiddenTypes,
  selected,
  highlight,
  visible,
  onSelect,
  grown = 0,
  zoomOnSelect = true,
}: GraphCanvasProps) {
  const container = useRef<HTMLElement>(null);
  const sigmaRef = useRef<Sigma<NodeAttrs, EdgeAttrs> | null>(null);
  const layoutRef = useRef<LayoutRunner | null>(null);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const view = useRef<ViewState>({ hiddenTypes, selected, neighbours: new Set(), highlight });
  const [layoutStatus, setLayoutStatus] = useState<LayoutStatus>("stopped");
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const { graph } = model;
    let sigma: Sigma<NodeAttrs, EdgeAttrs>;
    try {
      sigma = new Sigma<NodeAttrs, EdgeAttrs>(graph, element, {
        allowInvalidContainer: true,
        defaultEdgeType: graph.size > 5_000 ? "line" : "arrow",
        hideEdgesOnMove: graph.size > 5_000,
        labelRenderedSizeThreshold: graph.order > 5_000 ? 9 : 6,
        labelFont: "system-ui, sans-serif",
        labelSize: 12,
        zIndex: true,
        nodeReducer: (node, data) => (isPlain(view.current) ? data : reduceNode(view.current, node, data)),
        edgeReducer: (edge, data) => {
          if (isPlain(view.current)) return data;
          return reduceEdge(view.current, model, graph.source(edge), graph.target(edge), data);
        },
      });
    } catch (err) {
      setFailure(
        `The graph view needs WebGL, which this browser could not start (${(err as Error).message}).`,
      );
      return;
    }
    sigmaRef.current = sigma;
    sigma.on("clickNode", ({ node }) => onSelectRef.current(node));
    sigma.on("clickStage", () => onSelectRef.current(null));
    sigma.on("enterNode", () => element.classList.add("hovering"));
    sigma.on("leaveNode", () => element.classList.remove("hovering"));
    element.dataset.rendered = "true";
    performance.mark("dawsos:sigma-ready");

    const layout = new LayoutRunner(graph, setLayoutStatus);
    layoutRef.current = layout;
    if (graph.order > 1 && !model.positioned) layout.start();
    return () => {
      layout.kill();
      sigma.kill();
      sigmaRef.current = null;
      layoutRef.current = null;
      delete element.dataset.rendered;
    };
  }, [model]);

  // Filters, selection and highlight: update what the reducers read, then redraw.
  useEffect(() => {
    const { graph } = model;
    const neighbours = new Set<string>();
    if (selected && graph.hasNode(selected)) graph.forEachNeighbor(selected, (n) => neighbours.add(n));
    view.current = { hiddenTypes, selected, neighbours, highlight };
    sigmaRef.current?.refresh({ skipIndexation: true });
  }, [model, hiddenTypes, selected, highlight, grown]);

  useEffect(() => {
    if (grown > 0) layoutRef.current?.restart();
  }, [grown]);

  // Bring the selected node into view.
  useEffect(() => {
    const sigma = sigmaRef.current;
    if (!sigma || !selected || !zoomOnSelect) return;
    const display = sigma.getNodeDisplayData(selected);
    if (!display) return;
    const camera = sigma.getCamera();
    camera.animate({ x: display.x, y: display.y, ratio: Math.min(camera.ratio, 0.5) }, { duration: 400 });
  }, [selected, zoomOnSelect]);

  // A tab that was hidden has no size: measure again when it is shown.
  useEffect(() => {
    if (visible) sigmaRef.current?.resize().refresh({ skipIndexation: true });
  }, [visible]);

  if (failure) {
    return (
      <div class="status status-error" role="alert">
        {failure}
      </div>
    );
  }

  const camera = () => sigmaRef.current?.getCamera();
  return (
    <div class="graph-canvas-wrap">
      <section ref={container} class="graph-canvas" data-testid="graph-canvas" aria-label="Knowledge graph" />
      <div class="graph-controls">
        <button
          type="button"
          title="Zoom in"
          aria-label="Zoom in"
          onClick={() => camera()?.animatedZoom({ duration: 200 })}
        >
          +
        </button>
        <button
          type="button"
          title="Zoom out"
          aria-label="Zoom out"
          onClick={() => camera()?.animatedUnzoom({ duration: 200 })}
        >
          −
        </button>
        <button
          type="button"
          title="Fit the whole graph"
          aria-label="Reset view"
          onClick={() => camera()?.animatedReset({ duration: 300 })}
        >
          ⤢
        </button>
        <button
          type="button"
          class="layout-toggle"
          data-testid="layout-toggle"
          aria-pressed={layoutStatus === "running"}
          onClick={() => {
            const layout = layoutRef.current;
            if (!layout) return;
            if (layout.running) layout.stop();
            else layout.start();
          }}
        >
          {layoutStatus === "running" ? "Stop layout" : "Run layout"}
        </button>
      </div>
    </div>
  );
}
