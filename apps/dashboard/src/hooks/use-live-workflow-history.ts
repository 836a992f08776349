import { useEffect, useRef } from "preact/hooks";
import type { WorkflowRun } from "../api/types.ts";
import { workflowOf } from "../live/change-filters.ts";
import { type PendingRun, runRecorded } from "../live/workflow-runs.ts";
import { useChangeFeed, useLiveRefresh } from "./use-change-feed.ts";
import type { RequestState } from "./use-request.ts";

/** Waits between asking again for a run that is still going (about a minute in all). */
const RETRY_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/**
 * Keeps the workflow history live: a change made by a workflow (`source: "workflow:<name>"`)
 * means a run, and its record reaches the history only when the run ends. So the history is
 * asked again at once (debounced) and then, while that run is not in it, a few more times.
 * A run that changes nothing in the graph is not in the change feed: it appears on the next
 * refresh (this dashboard's own runs refresh the history when they end).
 */
export function useLiveWorkflowHistory(
  state: RequestState<WorkflowRun[]>,
  reload: () => void,
  filter: string,
): void {
  const pending = useRef<PendingRun[]>([]);
  const attempt = useRef(0);
  useChangeFeed((event) => {
    if (event.kind !== "change") return;
    const workflow = workflowOf(event.item);
    if (workflow !== null) pending.current.push({ workflow, at: event.item.at });
  });
  useLiveRefresh((item) => workflowOf(item) !== null, reload, { delayMs: 300, maxWaitMs: 2_000 });

  useEffect(() => {
    if (state.status !== "ok") return;
    const runs = state.data;
    pending.current = pending.current.filter(
      (p) => (filter === "" || p.workflow === filter) && !runRecorded(runs, p),
    );
    if (pending.current.length === 0 || attempt.current >= RETRY_MS.length) {
      pending.current = [];
      attempt.current = 0;
      return;
    }
    const timer = setTimeout(reload, RETRY_MS[attempt.current++]);
    return () => clearTimeout(timer);
  }, [state, filter, reload]);
}
