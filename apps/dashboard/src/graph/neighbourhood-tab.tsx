import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson, seg } from "../api/client.ts";
import type { GraphNode, GraphStats, Neighbourhood } from "../api/types.ts";
import { useChangeFeed } from "../hooks/use-change-feed.ts";
import { NodePanel } from "../node/node-panel.tsx";
import { ErrorNotice, isUnavailable, Loading } from "../ui/status.tsx";
import { formatCount } from "../util/format.ts";
import { GraphCanvas } from "./graph-canvas.tsx";
import { byFrequency } from "./graph-model.ts";
import { NeighbourhoodGraph } from "./neighbourhood-graph.ts";
import { NeighbourhoodNote, SelectedNeighbours } from "./neighbourhood-note.tsx";
import { markAfterPaint, markGraphPainted, NEIGHBOURHOOD_DRAWN } from "./paint-mark.ts";
import { SearchBox } from "./search-box.tsx";
import { typeColors } from "./type-colors.ts";
import { TypeFilter } from "./type-filter.tsx";

/** A node (unless the view already has it) and its neighbours in both directions, one hop. */
async function loadNeighbourhood(
  id: string,
  known: GraphNode | undefined,
  signal: AbortSignal,
): Promise<{ node: GraphNode; hood: Neighbourhood }> {
  const path = `/api/nodes/${seg(id)}`;
  const [node, hood] = await Promise.all([
    known ?? getJson<GraphNode>(path, signal),
    getJson<Neighbourhood>(`${path}/neighbors?direction=both&depth=1`, signal),
  ]);
  return { node, hood };
}

/**
 * The graph tab for a graph over the full-graph limit: nothing of the graph is downloaded until
 * the user asks for a node. Selecting a node — from the search, by clicking it, from a link in
 * the node panel or from the address (`#/graph/<id>`) — shows it with its neighbours; the view
 * grows with each selection up to `cap` nodes, and says what it shows.
 */
export function NeighbourhoodTab({
  stats,
  limit,
  cap,
  batch,
  selected,
  visible,
  onSelect,
  onNodeSaved,
}: {
  stats: GraphStats;
  limit: number;
  /** Most nodes the view holds. */
  cap: number;
  /** Most neighbours one expansion adds. */
  batch: number;
  selected: string | null;
  visible: boolean;
  onSelect: (id: string | null) => void;
  onNodeSaved: (node: GraphNode) => void;
}) {
  // Colours from the whole graph's types, so a type keeps its colour as the view grows.
  const [view] = useState(
    () => new NeighbourhoodGraph(typeColors(byFrequency(Object.entries(stats.node_types))), cap, batch),
  );
  /** Bumped whenever `view` changed: re-render, and lay the grown graph out again. */
  const [grown, setGrown] = useState(0);
  const [loading, setLoading] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [hiddenTypes, setHiddenTypes] = useState<ReadonlySet<string>>(() => new Set());
  const [highlight, setHighlight] = useState<ReadonlySet<string> | null>(null);

  useEffect(() => markGraphPainted("neighbourhood"), []);
  useEffect(() => setHighlight(null), [selected]);

  const changed = () => {
    setGrown((g) => g + 1);
    markAfterPaint(NEIGHBOURHOOD_DRAWN, { shown: view.shown });
  };

  // Live: what is shown follows the change feed (labels redraw by themselves; nodes or edges
  // that came or went count as growth, so the layout runs again).
  useChangeFeed((event) => {
    if (event.kind !== "change") return;
    let structural = false;
    for (const change of event.item.changes) if (view.applyChange(change)) structural = true;
    if (structural) changed();
  });

  // A selected node that has not shown its neighbours yet: fetch them and add them.
  useEffect(() => {
    setFailure(null);
    if (!selected || view.isExpanded(selected)) return;
    const controller = new AbortController();
    setLoading(selected);
    loadNeighbourhood(selected, view.node(selected), controller.signal).then(
      ({ node, hood }) => {
        if (controller.signal.aborted) return;
        view.expand(node, hood);
        setLoading(null);
        changed();
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setLoading(null);
        // A node that does not exist: the node panel says so.
        if (!isUnavailable(error)) setFailure(error);
      },
    );
    return () => {
      controller.abort();
      setLoading(null);
    };
  }, [selected, attempt]);

  const typeCounts = useMemo(() => view.typeCounts(), [grown]);
  const shownSelected = selected && view.graph.hasNode(selected) ? selected : null;
  const degree = shownSelected ? view.degree(shownSelected) : undefined;

  return (
    <div class="graph-tab" data-view="neighbourhood" data-shown={view.shown}>
      <div class="graph-sidebar">
        <SearchBox onOpen={onSelect} />
        <p class="graph-count" data-testid="node-count">
          <strong>{formatCount(stats.total_nodes)}</strong> nodes ·{" "}
          <strong>{formatCount(stats.total_edges)}</strong> edges
        </p>
        <NeighbourhoodNote shown={view.shown} total={stats.total_nodes} limit={limit} cap={view.cap} />
        {loading && <Loading label={`Loading the neighbours of ${loading}…`} />}
        {failure !== null && <ErrorNotice error={failure} onRetry={() => setAttempt((a) => a + 1)} />}
        {shownSelected && degree !== undefined && (
          <SelectedNeighbours
            id={shownSelected}
            degree={degree}
            remaining={view.remaining(shownSelected)}
            next={view.nextBatch(shownSelected)}
            onMore={() => {
              view.more(shownSelected);
              changed();
            }}
          />
        )}
        {view.shown > 0 && (
          <>
            <button
              type="button"
              data-testid="clear-view"
              onClick={() => {
                view.clear();
                setHiddenTypes(new Set());
                changed();
                onSelect(null);
              }}
            >
              Clear the view
            </button>
            <TypeFilter
              typeCounts={typeCounts}
              colors={view.model.colors}
              hidden={hiddenTypes}
              onChange={setHiddenTypes}
            />
          </>
        )}
        {highlight && (
          <button type="button" onClick={() => setHighlight(null)}>
            Clear path highlight
          </button>
        )}
      </div>
      {view.shown > 0 ? (
        <GraphCanvas
          model={view.model}
          hiddenTypes={hiddenTypes}
          selected={shownSelected}
          highlight={highlight}
          visible={visible}
          onSelect={onSelect}
          grown={grown}
          zoomOnSelect={false}
        />
      ) : (
        // No WebGL context until there is something to draw: creating sigma (a WebGL context,
        // its shaders compiled; in software in headless Chromium) was most of this view's first
        // paint, ~0.6 s of 1.6 s in the dashboard bench.
        <div class="graph-canvas-wrap graph-empty" data-testid="graph-empty">
          <p>Search for a node by id, name or symbol: it is shown here with its neighbours.</p>
        </div>
      )}
      {selected && (
        <NodePanel
          key={selected}
          id={selected}
          onClose={() => onSelect(null)}
          onOpen={onSelect}
          onHighlight={setHighlight}
          onNodeSaved={(node) => {
            view.update(node);
            onNodeSaved(node);
          }}
        />
      )}
    </div>
  );
}
