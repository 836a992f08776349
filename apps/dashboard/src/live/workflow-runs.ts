import type { WorkflowRun } from "../api/types.ts";

/** A change a workflow run made, whose run record may not be in the history yet. */
export interface PendingRun {
  workflow: string;
  /** When the change was committed (the record's `at`). */
  at: string;
}

/** Both times come from the server's clock, rounded to the millisecond: allow that much and a little. */
const TOLERANCE_MS = 5;

/**
 * Whether `runs` hold the run that made the change: a run of that workflow that started at or
 * before the change and ended at or after it. A run's record is written when the run ends, so
 * a change seen live usually arrives before its run is in the history (GET
 * /api/workflows/history): the view asks again until it is.
 */
export function runRecorded(runs: readonly WorkflowRun[], pending: PendingRun): boolean {
  const at = Date.parse(pending.at);
  if (Number.isNaN(at)) return true; // nothing to wait for that could be recognised
  return runs.some((run) => {
    if (run.workflow !== pending.workflow) return false;
    const start = Date.parse(run.timestamp);
    if (Number.isNaN(start) || start > at + TOLERANCE_MS) return false;
    return typeof run.duration_ms !== "number" || start + run.duration_ms + TOLERANCE_MS >= at;
  });
}
