import { useEffect, useMemo, useState } from "preact/hooks";
import type { GraphNode } from "../api/types.ts";
import { NodePanel } from "../node/node-panel.tsx";
import { formatCount } from "../util/format.ts";
import { GraphCanvas } from "./graph-canvas.tsx";
import type { GraphModel } from "./graph-model.ts";
import { markGraphPainted } from "./paint-mark.ts";
import { SearchBox } from "./search-box.tsx";
import { TypeFilter } from "./type-filter.tsx";

/** The graph explorer: search and type filter, the sigma canvas, and the open node's panel. */
export function GraphTab({
  model,
  selected,
  visible,
  onSelect,
  onNodeSaved,
}: {
  model: GraphModel;
  selected: string | null;
  visible: boolean;
  onSelect: (id: string | null) => void;
  onNodeSaved: (node: GraphNode) => void;
}) {
  const [hiddenTypes, setHiddenTypes] = useState<ReadonlySet<string>>(() => new Set());
  const [highlight, setHighlight] = useState<ReadonlySet<string> | null>(null);
  useEffect(() => setHighlight(null), [selected]);
  // The canvas's own effect (it creates sigma) has run before this one: the graph is drawn.
  useEffect(() => markGraphPainted("full"), []);

  const visibleCount = useMemo(() => {
    let count = 0;
    for (const [type, n] of model.typeCounts) if (!hiddenTypes.has(type)) count += n;
    return count;
    // typeCounts is replaced (not mutated) when live changes add or remove nodes.
  }, [model, model.typeCounts, hiddenTypes]);

  const { graph } = model;
  return (
    <div class="graph-tab" data-view="full">
      <div class="graph-sidebar">
        <SearchBox onOpen={onSelect} />
        <p class="graph-count" data-testid="node-count">
          <strong>{formatCount(graph.order)}</strong> nodes · <strong>{formatCount(graph.size)}</strong> edges
          {visibleCount !== graph.order && <span class="muted"> ({formatCount(visibleCount)} shown)</span>}
        </p>
        {graph.order === 0 ? (
          <p class="muted">The graph is empty.</p>
        ) : (
          <TypeFilter
            typeCounts={model.typeCounts}
            colors={model.colors}
            hidden={hiddenTypes}
            onChange={setHiddenTypes}
          />
        )}
        {highlight && (
          <button type="button" onClick={() => setHighlight(null)}>
            Clear path highlight
          </button>
        )}
      </div>
      <GraphCanvas
        model={model}
        hiddenTypes={hiddenTypes}
        selected={selected && graph.hasNode(selected) ? selected : null}
        highlight={highlight}
        visible={visible}
        onSelect={onSelect}
      />
      {selected && (
        <NodePanel
          key={selected}
          id={selected}
          onClose={() => onSelect(null)}
          onOpen={onSelect}
          onHighlight={setHighlight}
          onNodeSaved={onNodeSaved}
        />
      )}
    </div>
  );
}
