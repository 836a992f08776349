import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson, request, seg } from "../api/client.ts";
import type { GraphNode, Influence, Neighbourhood } from "../api/types.ts";
import { nodeLabel } from "../graph/graph-model.ts";
import { useLiveRefresh } from "../hooks/use-change-feed.ts";
import { useRequest } from "../hooks/use-request.ts";
import { type PanelLinks, touchesNodePanel } from "../live/change-filters.ts";
import { Badge } from "../ui/badge.tsx";
import { Empty, ErrorNotice, isUnavailable, Loading } from "../ui/status.tsx";
import { formatNumber, formatTime } from "../util/format.ts";
import { DataEditor } from "./data-editor.tsx";
import { NodeHistory } from "./node-history.tsx";
import { PathFinder } from "./path-finder.tsx";

interface Loaded {
  node: GraphNode;
  etag: string | null;
  influences: Influence[];
  neighbours: Neighbourhood;
}

async function loadNode(id: string, signal: AbortSignal): Promise<Loaded> {
  const path = `/api/nodes/${seg(id)}`;
  const [node, influences, neighbours] = await Promise.all([
    request<GraphNode>(path, { signal }),
    getJson<Influence[]>(`${path}/influences`, signal),
    getJson<Neighbourhood>(`${path}/neighbors?direction=both&depth=1`, signal),
  ]);
  return { node: node.data, etag: node.etag, influences, neighbours };
}

/** The open node: its data (editable), what influences it, its neighbours, paths to another node. */
export function NodePanel({
  id,
  onClose,
  onOpen,
  onHighlight,
  onNodeSaved,
}: {
  id: string;
  onClose: () => void;
  onOpen: (id: string) => void;
  onHighlight: (nodes: ReadonlySet<string> | null) => void;
  onNodeSaved: (node: GraphNode) => void;
}) {
  const [state, reload] = useRequest((signal) => loadNode(id, signal), [id]);
  const [saved, setSaved] = useState<{ node: GraphNode; etag: string | null } | null>(null);
  useEffect(() => setSaved(null), [state]);
  // Live: asked again when a change touches the node, its edges or the neighbours it lists.
  const links = useMemo((): PanelLinks => {
    const loaded = state.data;
    return {
      edges: new Set(loaded?.neighbours.edges.map((e) => e.id)),
      nodes: new Set([
        ...(loaded?.neighbours.nodes.map((n) => n.id) ?? []),
        ...(loaded?.influences.map((i) => i.from) ?? []),
      ]),
    };
  }, [state.data]);
  useLiveRefresh((item) => item.changes.some((c) => touchesNodePanel(c, id, links)), reload, {
    delayMs: 16,
    maxWaitMs: 500,
  });

  let body: ComponentChildren;
  if (state.status === "loading" && !state.data) body = <Loading label={`Loading ${id}…`} />;
  else if (state.status === "error" && isUnavailable(state.error))
    body = <Empty>Node “{id}” does not exist (any more). It may have been deleted or restored away.</Empty>;
  else if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (state.data) {
    const loaded = state.data;
    const node = saved?.node ?? loaded.node;
    const etag = saved ? saved.etag : loaded.etag;
    const neighbours = loaded.neighbours.nodes.filter((n) => n.id !== id);
    body = (
      <>
        <header class="panel-header">
          <div>
            <h2 data-testid="node-title">{node.id}</h2>
            {nodeLabel(node) !== node.id && <p class="panel-subtitle">{nodeLabel(node)}</p>}
          </div>
          <Badge tone="info">{node.type}</Badge>
        </header>
        <p class="muted small">
          created {formatTime(node.created_at)} · updated {formatTime(node.updated_at)}
        </p>
        <details open>
          <summary>Data</summary>
          <DataEditor
            node={node}
            etag={etag}
            onReload={reload}
            onSaved={(next, nextEtag) => {
              setSaved({ node: next, etag: nextEtag });
              onNodeSaved(next);
            }}
          />
        </details>
        <details open>
          <summary>History</summary>
          <NodeHistory id={id} />
        </details>
        <details open>
          <summary>Influences ({loaded.influences.length})</summary>
          {loaded.influences.length === 0 ? (
            <p class="muted">Nothing points at this node.</p>
          ) : (
            <ul class="link-list" data-testid="influences">
              {loaded.influences.map((inf) => (
                <li key={`${inf.from}|${inf.type}`}>
                  <button type="button" class="link" onClick={() => onOpen(inf.from)}>
                    {inf.from}
                  </button>{" "}
                  <span class="muted">
                    {inf.type} · {formatNumber(inf.strength)}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </details>
        <details open>
          <summary>Neighbours ({neighbours.length})</summary>
          {neighbours.length === 0 ? (
            <p class="muted">No neighbours.</p>
          ) : (
            <ul class="link-list" data-testid="neighbours">
              {neighbours.slice(0, 200).map((n) => (
                <li key={n.id}>
                  <button type="button" class="link" onClick={() => onOpen(n.id)}>
                    {n.id}
                  </button>{" "}
                  <span class="muted">{n.type}</span>
                </li>
              ))}
              {neighbours.length > 200 && <li class="muted">…and {neighbours.length - 200} more</li>}
            </ul>
          )}
        </details>
        <details>
          <summary>Paths to another node</summary>
          <PathFinder from={id} onOpen={onOpen} onHighlight={onHighlight} />
        </details>
      </>
    );
  }

  return (
    <aside class="node-panel" aria-label={`Node ${id}`} data-testid="node-panel">
      <button type="button" class="panel-close" aria-label="Close node panel (Escape)" onClick={onClose}>
        ×
      </button>
      {body}
    </aside>
  );
}
