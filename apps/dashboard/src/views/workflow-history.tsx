import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { getJson } from "../api/client.ts";
import type { WorkflowRun } from "../api/types.ts";
import { useLiveWorkflowHistory } from "../hooks/use-live-workflow-history.ts";
import { useRequest } from "../hooks/use-request.ts";
import { Empty, ErrorNotice, isUnavailable, Loading, Unavailable } from "../ui/status.tsx";
import { formatDuration, formatTime } from "../util/format.ts";
import { RunSteps, StatusBadge } from "./run-status.tsx";

/** `GET /api/workflows/history`: newest first, each run expandable to its steps. */
export function WorkflowHistory({ names, refreshKey }: { names: string[]; refreshKey: number }) {
  const [filter, setFilter] = useState("");
  const [state, reload] = useRequest(
    (signal) => {
      const query = new URLSearchParams({ limit: "50" });
      if (filter) query.set("workflow", filter);
      return getJson<WorkflowRun[]>(`/api/workflows/history?${query}`, signal);
    },
    [filter, refreshKey],
  );
  useLiveWorkflowHistory(state, reload, filter);

  let body: ComponentChildren;
  if (state.status === "loading" && !state.data) body = <Loading label="Loading history…" />;
  else if (state.status === "error" && isUnavailable(state.error))
    body = <Unavailable what="Workflow history" error={state.error} />;
  else if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (state.data && state.data.length === 0) body = <Empty>No workflow has run yet.</Empty>;
  else if (state.data) {
    body = (
      <ul class="history" data-testid="workflow-history">
        {state.data.map((run, i) => (
          <li key={run.id ?? `${run.timestamp}-${i}`}>
            <details>
              <summary>
                <StatusBadge status={run.status} /> <strong class="history-name">{run.workflow}</strong>{" "}
                <span class="muted">
                  {formatTime(run.timestamp)} · {formatDuration(run.duration_ms)} · {run.steps.length} steps
                </span>
              </summary>
              <RunSteps run={run} />
            </details>
          </li>
        ))}
      </ul>
    );
  }

  return (
    <section class="card" aria-labelledby="history-title">
      <div class="view-header">
        <h3 id="history-title">History</h3>
        <label class="field field-inline">
          <span>Workflow</span>
          <select value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            <option value="">all</option>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {body}
    </section>
  );
}
