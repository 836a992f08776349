import type { ComponentChildren } from "preact";
import { getJson } from "../api/client.ts";
import type { GraphStats } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import { ErrorNotice, Loading } from "../ui/status.tsx";
import { formatCount } from "../util/format.ts";

function CountTable({ title, counts }: { title: string; counts: Record<string, number> }) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <details>
      <summary>
        {title} ({rows.length})
      </summary>
      <table class="compact">
        <tbody>
          {rows.map(([name, n]) => (
            <tr key={name}>
              <td>{name}</td>
              <td class="num">{formatCount(n)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** `GET /api/graph/stats`: totals and counts per node and edge type. */
export function StatsCard({ refreshKey }: { refreshKey: number }) {
  const [state, reload] = useRequest(
    (signal) => getJson<GraphStats>("/api/graph/stats", signal),
    [refreshKey],
  );
  let body: ComponentChildren;
  if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (!state.data) body = <Loading />;
  else {
    const s = state.data;
    body = (
      <>
        <dl class="stats" data-testid="graph-stats">
          <div>
            <dt>Nodes</dt>
            <dd>{formatCount(s.total_nodes)}</dd>
          </div>
          <div>
            <dt>Edges</dt>
            <dd>{formatCount(s.total_edges)}</dd>
          </div>
          <div>
            <dt>Patterns</dt>
            <dd>{formatCount(s.total_patterns)}</dd>
          </div>
          <div>
            <dt>Seq</dt>
            <dd>{formatCount(s.seq)}</dd>
          </div>
        </dl>
        <CountTable title="Node types" counts={s.node_types} />
        <CountTable title="Edge types" counts={s.edge_types} />
      </>
    );
  }
  return (
    <section class="card" aria-labelledby="stats-title">
      <div class="view-header">
        <h3 id="stats-title">Graph</h3>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {body}
    </section>
  );
}
