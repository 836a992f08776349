import type { ComponentChildren } from "preact";
import type { Change, HistoryEntry } from "../api/change-types.ts";
import { getJson, seg } from "../api/client.ts";
import { useLiveRefresh } from "../hooks/use-change-feed.ts";
import { useRequest } from "../hooks/use-request.ts";
import { inNodeHistory } from "../live/change-filters.ts";
import { Empty, ErrorNotice, isUnavailable, Loading, Unavailable } from "../ui/status.tsx";
import { formatTime, previewValue } from "../util/format.ts";

/** Entries shown; the server keeps more (its retention), the newest are what an audit asks first. */
const LIMIT = 50;

const OP_LABEL: Record<Change["op"], string> = {
  put_node: "put",
  patch_node: "patch",
  delete_node: "delete",
  add_edge: "edge added",
  delete_edge: "edge deleted",
  put_pattern: "pattern put",
  delete_pattern: "pattern deleted",
};

/** What the change did to the node, in a few words. */
function summary(change: Change, id: string): string {
  switch (change.op) {
    case "patch_node":
      return Object.entries(change.data)
        .map(([key, value]) => (value === null ? `${key} removed` : `${key} = ${previewValue(value)}`))
        .join(", ");
    case "put_node":
      return `type ${change.node.type}, ${Object.keys(change.node.data).length} fields`;
    case "add_edge":
      return change.edge.from === id
        ? `${change.edge.type} → ${change.edge.to}`
        : `${change.edge.from} → ${change.edge.type}`;
    default:
      return "";
  }
}

/**
 * `GET /api/nodes/:id/history`: who changed this node, when, through what (`source`: api, cli,
 * a workflow, an import, a restore; `actor`: the label of the token used), and how — newest
 * first, asked again whenever a live change touches the node.
 */
export function NodeHistory({ id }: { id: string }) {
  const [state, reload] = useRequest(
    (signal) => getJson<HistoryEntry[]>(`/api/nodes/${seg(id)}/history?limit=${LIMIT}`, signal),
    [id],
  );
  useLiveRefresh((item) => item.changes.some((c) => inNodeHistory(c, id)), reload, {
    delayMs: 16,
    maxWaitMs: 500,
  });

  let body: ComponentChildren;
  if (state.status === "loading" && !state.data) body = <Loading label="Loading history…" />;
  else if (state.status === "error" && isUnavailable(state.error))
    body = <Unavailable what="Node history" error={state.error} />;
  else if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (state.data && state.data.length === 0)
    body = <Empty>No retained changes of this node (older ones are past the server's retention).</Empty>;
  else if (state.data) {
    body = (
      <ol class="node-history" data-testid="node-history">
        {state.data.map((entry) => (
          <li key={`${entry.seq}-${entry.op}`} data-seq={entry.seq}>
            <span class="history-seq" title="seq: the graph's version after this change">
              #{entry.seq}
            </span>
            <span>
              <strong>{OP_LABEL[entry.op] ?? entry.op}</strong> {summary(entry.change, id)}
              <br />
              <span class="muted small">
                <time dateTime={entry.at}>{formatTime(entry.at)}</time> · {entry.source ?? "unknown source"}
                {entry.actor && <> · {entry.actor}</>}
              </span>
            </span>
          </li>
        ))}
      </ol>
    );
  }
  return <div data-testid="node-history-section">{body}</div>;
}
