import type { EdgeDisplayData, NodeDisplayData } from "sigma/types";
import type { EdgeAttrs, GraphModel, NodeAttrs } from "./graph-model.ts";

const DIM_NODE = "#cbd5e1";
const DIM_EDGE = "rgba(148, 163, 184, 0.12)";
const FOCUS_EDGE = "rgba(30, 41, 59, 0.75)";

/** What sigma's reducers read: type filter, open node (and its neighbours), highlighted path. */
export interface ViewState {
  hiddenTypes: ReadonlySet<string>;
  selected: string | null;
  neighbours: Set<string>;
  highlight: ReadonlySet<string> | null;
}

/** Nothing filtered, selected or highlighted: the reducers have nothing to do. */
export function isPlain(view: ViewState): boolean {
  return view.hiddenTypes.size === 0 && view.selected === null && view.highlight === null;
}

export function reduceNode(view: ViewState, node: string, data: NodeAttrs): Partial<NodeDisplayData> {
  if (view.hiddenTypes.has(data.kind)) return { ...data, hidden: true };
  if (view.highlight) {
    return view.highlight.has(node)
      ? { ...data, highlighted: true, forceLabel: true, zIndex: 2 }
      : { ...data, color: DIM_NODE, label: null, zIndex: 0 };
  }
  if (view.selected) {
    if (node === view.selected) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 };
    if (view.neighbours.has(node)) return { ...data, forceLabel: view.neighbours.size <= 40, zIndex: 1 };
    return { ...data, color: DIM_NODE, label: null, zIndex: 0 };
  }
  return data;
}

export function reduceEdge(
  view: ViewState,
  model: GraphModel,
  from: string,
  to: string,
  data: EdgeAttrs,
): Partial<EdgeDisplayData> {
  if (view.hiddenTypes.size > 0) {
    const { graph } = model;
    if (
      view.hiddenTypes.has(graph.getNodeAttribute(from, "kind")) ||
      view.hiddenTypes.has(graph.getNodeAttribute(to, "kind"))
    )
      return { ...data, hidden: true };
  }
  if (view.highlight) {
    return view.highlight.has(from) && view.highlight.has(to)
      ? { ...data, color: FOCUS_EDGE, zIndex: 1 }
      : { ...data, color: DIM_EDGE, zIndex: 0 };
  }
  if (view.selected) {
    return from === view.selected || to === view.selected
      ? { ...data, color: FOCUS_EDGE, zIndex: 1 }
      : { ...data, color: DIM_EDGE, zIndex: 0 };
  }
  return data;
}
