import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getJson, onUnauthorized } from "./api/client.ts";
import { readToken, writeToken } from "./api/token-store.ts";
import type { GraphNode, Health } from "./api/types.ts";
import { buildGraphModel, type GraphModel, graphLabel } from "./graph/graph-model.ts";
import { loadGraphSource } from "./graph/graph-source.ts";
import { GraphTab } from "./graph/graph-tab.tsx";
import { NeighbourhoodTab } from "./graph/neighbourhood-tab.tsx";
import { type TabId, useHashRoute } from "./hash-route.ts";
import { useDebouncedCallback } from "./hooks/use-debounced.ts";
import { type LiveBase, useLiveFeed } from "./hooks/use-live-feed.ts";
import { useRequest } from "./hooks/use-request.ts";
import { ChangeBusContext } from "./live/change-bus.ts";
import { LiveIndicator } from "./live/live-indicator.tsx";
import { ServerInfo } from "./ui/server-info.tsx";
import { ErrorNotice, Loading } from "./ui/status.tsx";
import { TabBar } from "./ui/tab-bar.tsx";
import { TokenDialog } from "./ui/token-dialog.tsx";
import { MarketDataView } from "./views/data-view.tsx";
import { OperationsView } from "./views/operations-view.tsx";
import { PatternsView } from "./views/patterns-view.tsx";
import { SampledDataView } from "./views/sampled-data-view.tsx";
import { WorkflowsView } from "./views/workflows-view.tsx";

/** `/health` again at most this often while live changes come in. */
const LIVE_HEALTH = { delayMs: 500, maxWaitMs: 3_000 };

/**
 * The dashboard: one `GET /api/graph` feeds the graph view and the data view (a graph over the
 * full-graph limit is never downloaded: the graph tab shows neighbourhoods, the data view a
 * page of nodes); every other view asks the API for what it shows when it is opened. A 401 anywhere opens the token dialog; once
 * a token is entered everything is asked again.
 */
export function App() {
  const [route, navigate] = useHashRoute();
  const [authEpoch, setAuthEpoch] = useState(0);
  const [needToken, setNeedToken] = useState(false);
  const [hasToken, setHasToken] = useState(() => readToken() !== null);
  const [graphEpoch, setGraphEpoch] = useState(0);

  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);

  const [healthEpoch, setHealthEpoch] = useState(0);
  const [health] = useRequest((signal) => getJson<Health>("/health", signal), [graphEpoch, healthEpoch]);
  // The whole document for a graph within the full-graph limit, else only its statistics.
  const [graphState, reloadGraph] = useRequest(loadGraphSource, [authEpoch, graphEpoch]);
  const source = graphState.data;
  const doc = source?.kind === "full" ? source.doc : undefined;
  const large = source?.kind === "neighbourhood" ? source : undefined;
  const previous = useRef<GraphModel | null>(null);
  const model = useMemo(() => {
    const next = doc ? buildGraphModel(doc, previous.current?.graph) : null;
    previous.current = next;
    return next;
  }, [doc]);

  // Live: changes apply to `doc` and `model` in place; a render afterwards shows them, and the
  // header's counts and seq are asked again once a burst of changes is over.
  const [, setLiveRender] = useState(0);
  const refreshHealth = useDebouncedCallback(() => setHealthEpoch((e) => e + 1), LIVE_HEALTH);
  const liveBase = useMemo(
    (): LiveBase | undefined => (doc ? { doc, model } : large ? { seq: large.stats.seq } : undefined),
    [doc, model, large],
  );
  const live = useLiveFeed({
    base: liveBase,
    onReload: reloadGraph,
    onApplied: () => {
      setLiveRender((n) => n + 1);
      refreshHealth();
    },
  });
  const liveState = useRef(live.status.state);
  liveState.current = live.status.state;

  const selectNode = useCallback((id: string | null) => navigate({ tab: "graph", node: id }), [navigate]);
  const selectTab = (tab: TabId) => navigate({ tab, node: tab === "graph" ? route.node : null });
  // While the feed is connected, what a workflow or an operation changed arrives through it (a
  // restore as a replacement, which reloads): reloading here too would redraw the graph twice.
  const graphChanged = useCallback(() => {
    if (liveState.current === "connected") setHealthEpoch((e) => e + 1);
    else setGraphEpoch((e) => e + 1);
  }, []);

  // A saved node: keep the loaded document and the drawn label in step without a reload.
  const nodeSaved = useCallback(
    (node: GraphNode) => {
      if (doc) doc.nodes[node.id] = node;
      if (model?.graph.hasNode(node.id)) model.graph.setNodeAttribute(node.id, "label", graphLabel(node));
      setHealthEpoch((e) => e + 1);
    },
    [doc, model],
  );

  // Escape closes the open node (dialogs and the search box handle their own Escape first). In a
  // form field the first Escape only leaves the field, so a half-typed edit is not thrown away.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented || document.querySelector("dialog[open]")) return;
      const target = e.target;
      if (
        target instanceof HTMLInputElement ||
        target instanceof HTMLTextAreaElement ||
        target instanceof HTMLSelectElement
      ) {
        target.blur();
        return;
      }
      if (route.tab === "graph" && route.node) selectNode(null);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [route, selectNode]);

  const ui = (
    <div class="app">
      <header class="topbar">
        <h1>
          DawsOS <span class="muted">dashboard</span>
        </h1>
        <TabBar active={route.tab} onSelect={selectTab} />
        <ServerInfo
          health={health}
          hasToken={hasToken}
          onForgetToken={() => {
            writeToken(null);
            setHasToken(false);
            setAuthEpoch((e) => e + 1);
          }}
        />
        <LiveIndicator status={live.status} />
      </header>
      <main class="content">
        <div
          id="panel-graph"
          role="tabpanel"
          aria-labelledby="tab-graph"
          hidden={route.tab !== "graph"}
          class="panel-graph"
        >
          {large ? (
            <NeighbourhoodTab
              stats={large.stats}
              limit={large.limit}
              cap={large.cap}
              batch={large.batch}
              selected={route.node}
              visible={route.tab === "graph"}
              onSelect={selectNode}
              onNodeSaved={nodeSaved}
            />
          ) : model ? (
            <GraphTab
              model={model}
              selected={route.node}
              visible={route.tab === "graph"}
              onSelect={selectNode}
              onNodeSaved={nodeSaved}
            />
          ) : graphState.status === "error" ? (
            <ErrorNotice error={graphState.error} onRetry={reloadGraph} />
          ) : (
            <Loading label="Loading the graph…" />
          )}
        </div>
        {route.tab !== "graph" && (
          <div
            id={`panel-${route.tab}`}
            role="tabpanel"
            aria-labelledby={`tab-${route.tab}`}
            key={`${route.tab}-${authEpoch}`}
          >
            {route.tab === "patterns" && <PatternsView onOpenNode={(id) => selectNode(id)} />}
            {route.tab === "workflows" && <WorkflowsView onGraphChanged={graphChanged} />}
            {route.tab === "data" &&
              (doc ? (
                <MarketDataView doc={doc} onOpenNode={(id) => selectNode(id)} />
              ) : large ? (
                <SampledDataView total={large.stats.total_nodes} onOpenNode={(id) => selectNode(id)} />
              ) : graphState.status === "error" ? (
                <ErrorNotice error={graphState.error} onRetry={reloadGraph} />
              ) : (
                <Loading label="Loading the graph…" />
              ))}
            {route.tab === "operations" && <OperationsView onGraphChanged={graphChanged} />}
          </div>
        )}
      </main>
      <TokenDialog
        open={needToken}
        onDismiss={() => setNeedToken(false)}
        onSubmit={(token) => {
          writeToken(token);
          setHasToken(true);
          setNeedToken(false);
          setAuthEpoch((e) => e + 1);
        }}
      />
    </div>
  );
  return <ChangeBusContext.Provider value={live.bus}>{ui}</ChangeBusContext.Provider>;
}
