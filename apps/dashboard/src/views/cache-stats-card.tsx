import type { ComponentChildren } from "preact";
import { getJson } from "../api/client.ts";
import type { CacheStats } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import { Empty, ErrorNotice, isUnavailable, Loading, Unavailable } from "../ui/status.tsx";
import { formatCount, formatTime } from "../util/format.ts";

/** `GET /api/cache/stats`, read again whenever `settled` flips (the live values are in). */
export function CacheStatsCard({ settled }: { settled: boolean }) {
  const [state, reload] = useRequest((signal) => getJson<CacheStats>("/api/cache/stats", signal), [settled]);
  let body: ComponentChildren;
  if (state.status === "loading" && !state.data) body = <Loading label="Loading cache statistics…" />;
  else if (state.status === "error" && isUnavailable(state.error))
    body = <Unavailable what="Cache statistics" error={state.error} />;
  else if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (state.data && Object.keys(state.data).length === 0) body = <Empty>The cache is empty.</Empty>;
  else if (state.data) {
    body = (
      <div class="table-wrap">
        <table data-testid="cache-stats">
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Entries</th>
              <th scope="col">Hits</th>
              <th scope="col">Misses</th>
              <th scope="col">Stale served</th>
              <th scope="col">Joined in flight</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(state.data).map(([ns, s]) => (
              <tr key={ns}>
                <td>
                  <code>{ns}</code>
                </td>
                <td>{formatCount(s.entries)}</td>
                <td>{formatCount(s.hits)}</td>
                <td>{formatCount(s.misses)}</td>
                <td>{formatCount(s.stale_served)}</td>
                <td>{formatCount(s.inflight_joined)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  return (
    <section class="card" aria-labelledby="cache-title">
      <div class="view-header">
        <h3 id="cache-title">Cache</h3>
        <span class="muted small">
          {state.status === "ok" ? `as of ${formatTime(new Date().toISOString())}` : ""}
        </span>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {body}
    </section>
  );
}
