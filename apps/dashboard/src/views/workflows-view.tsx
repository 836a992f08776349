import { useEffect, useState } from "preact/hooks";
import { errorMessage } from "../api/api-error.ts";
import { getJson, request, seg } from "../api/client.ts";
import type { Workflow, WorkflowRun } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import { Empty, ErrorNotice, isUnavailable, Loading, Unavailable } from "../ui/status.tsx";
import { formatDuration } from "../util/format.ts";
import { RunSteps, StatusBadge } from "./run-status.tsx";
import { WorkflowHistory } from "./workflow-history.tsx";

type RunState =
  | { status: "running"; started: number }
  | { status: "done"; run: WorkflowRun }
  | { status: "error"; message: string };

/** Workflows (`GET /api/workflows`), a run button with live status, and the run history. */
export function WorkflowsView({ onGraphChanged }: { onGraphChanged: () => void }) {
  const [state, reload] = useRequest((signal) => getJson<Workflow[]>("/api/workflows", signal), []);
  const [runs, setRuns] = useState<Record<string, RunState>>({});
  const [historyKey, setHistoryKey] = useState(0);

  const run = async (name: string) => {
    setRuns((r) => ({ ...r, [name]: { status: "running", started: Date.now() } }));
    try {
      const response = await request<WorkflowRun>(`/api/workflows/${seg(name)}/run`, { method: "POST" });
      setRuns((r) => ({ ...r, [name]: { status: "done", run: response.data } }));
      onGraphChanged();
    } catch (err) {
      setRuns((r) => ({ ...r, [name]: { status: "error", message: errorMessage(err) } }));
    } finally {
      setHistoryKey((k) => k + 1);
    }
  };

  if (state.status === "loading" && !state.data) return <Loading label="Loading workflows…" />;
  if (state.status === "error" && isUnavailable(state.error)) {
    return (
      <section class="view" aria-labelledby="workflows-title">
        <h2 id="workflows-title">Workflows</h2>
        <Unavailable what="Workflows" error={state.error} />
      </section>
    );
  }
  if (state.status === "error") return <ErrorNotice error={state.error} onRetry={reload} />;
  const workflows = state.data ?? [];

  return (
    <section class="view" aria-labelledby="workflows-title">
      <div class="view-header">
        <h2 id="workflows-title">Workflows</h2>
      </div>
      {workflows.length === 0 ? (
        <Empty>This server has no workflows.</Empty>
      ) : (
        <ul class="workflow-list" data-testid="workflow-list">
          {workflows.map((wf) => {
            const current = runs[wf.name];
            return (
              <li class="card" key={wf.name} data-workflow={wf.name}>
                <div class="view-header">
                  <h3>{wf.name}</h3>
                  <button
                    type="button"
                    class="primary"
                    data-testid={`run-${wf.name}`}
                    disabled={current?.status === "running"}
                    onClick={() => void run(wf.name)}
                  >
                    {current?.status === "running" ? "Running…" : "Run"}
                  </button>
                </div>
                {wf.description && <p>{wf.description}</p>}
                <p class="muted small">
                  {wf.steps.map((s) => `${s.agent}.${s.action}`).join(" → ") || "no steps"}
                </p>
                {current && <RunResult state={current} />}
              </li>
            );
          })}
        </ul>
      )}
      <WorkflowHistory names={workflows.map((w) => w.name)} refreshKey={historyKey} />
    </section>
  );
}

function RunResult({ state }: { state: RunState }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (state.status !== "running") return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [state]);

  if (state.status === "running") {
    return (
      <div class="run-status" role="status" aria-live="polite" data-testid="run-status">
        <span class="spinner" aria-hidden="true" /> running ·{" "}
        {formatDuration(Math.max(0, now - state.started))}
      </div>
    );
  }
  if (state.status === "error") {
    return (
      <div class="status status-error" role="alert" data-testid="run-status">
        Run failed: {state.message}
      </div>
    );
  }
  return (
    <div class="run-status" role="status" data-testid="run-status">
      <p>
        <StatusBadge status={state.run.status} /> in {formatDuration(state.run.duration_ms)}
      </p>
      <RunSteps run={state.run} />
    </div>
  );
}
