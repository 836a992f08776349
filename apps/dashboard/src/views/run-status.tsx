import type { WorkflowRun, WorkflowStepRun } from "../api/types.ts";
import { Badge, type BadgeTone } from "../ui/badge.tsx";
import { formatDuration } from "../util/format.ts";

export function statusTone(status: string | undefined): BadgeTone {
  const s = (status ?? "").toLowerCase();
  if (/fail|error/.test(s)) return "bad";
  if (/success|succeeded|complete|ok|done/.test(s)) return "ok";
  if (/partial|skip|stale/.test(s)) return "warn";
  return "muted";
}

export function StatusBadge({ status }: { status: string | undefined }) {
  return <Badge tone={statusTone(status)}>{status ?? "unknown"}</Badge>;
}

function stepError(step: WorkflowStepRun): string | null {
  const error = step.result?.error;
  if (typeof error === "string") return error;
  if (error && typeof error === "object" && typeof error.message === "string") return error.message;
  return null;
}

/** The steps of one run: agent, action, status, duration, and the error of a failed step. */
export function RunSteps({ run }: { run: WorkflowRun }) {
  if (run.steps.length === 0) return <p class="muted">This run has no steps.</p>;
  return (
    <table class="steps-table">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Agent · action</th>
          <th scope="col">Status</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {run.steps.map((step, i) => {
          const error = stepError(step);
          return (
            <tr
              key={`${step.step ?? i}-${step.action}`}
              class={statusTone(step.result?.status) === "bad" ? "row-failed" : undefined}
            >
              <td>{step.step ?? i + 1}</td>
              <td>
                {step.agent} · <code>{step.action}</code>
                {error && <div class="field-error">{error}</div>}
              </td>
              <td>
                <StatusBadge status={step.result?.status} />
              </td>
              <td>{formatDuration(step.duration_ms)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
