import { useMemo, useState } from "preact/hooks";
import { getJson } from "../api/client.ts";
import type { GraphNode, Pattern, PatternEvaluation } from "../api/types.ts";
import { useLiveRefresh } from "../hooks/use-change-feed.ts";
import { useRequest } from "../hooks/use-request.ts";
import { conditionNodeId, touchesPatterns } from "../live/change-filters.ts";
import { Badge } from "../ui/badge.tsx";
import { Empty, ErrorNotice, isUnavailable, Loading } from "../ui/status.tsx";
import { formatNumber } from "../util/format.ts";

interface Loaded {
  evaluation: PatternEvaluation[];
  patterns: Record<string, Pattern>;
  regime: GraphNode | null;
}

async function load(signal: AbortSignal): Promise<Loaded> {
  const [evaluation, patterns, regime] = await Promise.all([
    getJson<PatternEvaluation[]>("/api/patterns/evaluate", signal),
    getJson<Record<string, Pattern>>("/api/patterns", signal),
    getJson<GraphNode>("/api/nodes/ECONOMIC_REGIME", signal).catch((err: unknown) => {
      if (isUnavailable(err)) return null;
      throw err;
    }),
  ]);
  return { evaluation, patterns, regime };
}

/** The current economic regime and every pattern's evaluation, condition by condition. */
export function PatternsView({ onOpenNode }: { onOpenNode: (id: string) => void }) {
  const [state, reload] = useRequest(load, []);
  const [onlyTriggered, setOnlyTriggered] = useState(false);
  // Live: evaluated again when a pattern changes or a node its conditions (or the regime) read.
  const readNodes = useMemo(() => {
    const ids = new Set(["ECONOMIC_REGIME"]);
    for (const row of state.data?.evaluation ?? [])
      for (const c of row.conditions) ids.add(conditionNodeId(c.expr) ?? "");
    return ids;
  }, [state.data]);
  useLiveRefresh((item) => item.changes.some((c) => touchesPatterns(c, readNodes)), reload, {
    delayMs: 300,
    maxWaitMs: 2_000,
  });

  if (state.status === "loading" && !state.data) return <Loading label="Evaluating patterns…" />;
  if (state.status === "error" && !state.data) return <ErrorNotice error={state.error} onRetry={reload} />;
  const { evaluation, patterns, regime } = state.data!;
  const rows = [...evaluation]
    .sort((a, b) => Number(b.triggered) - Number(a.triggered) || (a.id < b.id ? -1 : 1))
    .filter((row) => !onlyTriggered || row.triggered);
  const current = regime?.data.current_state;
  const descriptions = regime?.data.state_descriptions;
  const description =
    typeof current === "string" &&
    descriptions &&
    typeof descriptions === "object" &&
    !Array.isArray(descriptions)
      ? descriptions[current]
      : undefined;

  return (
    <section class="view" aria-labelledby="patterns-title">
      <div class="view-header">
        <h2 id="patterns-title">Patterns</h2>
        <button type="button" onClick={reload} disabled={state.status === "loading"}>
          {state.status === "loading" ? "Evaluating…" : "Evaluate again"}
        </button>
      </div>
      <div class="card regime-card" data-testid="regime">
        <h3>Current economic regime</h3>
        {regime === null ? (
          <p class="muted">This graph has no ECONOMIC_REGIME node.</p>
        ) : (
          <>
            <p class="regime-state">
              <button type="button" class="link" onClick={() => onOpenNode("ECONOMIC_REGIME")}>
                {typeof current === "string" ? current : "unknown"}
              </button>
            </p>
            {typeof description === "string" && <p>{description}</p>}
          </>
        )}
      </div>
      <label class="checkbox">
        <input
          type="checkbox"
          checked={onlyTriggered}
          onChange={(e) => setOnlyTriggered(e.currentTarget.checked)}
        />
        Only triggered patterns
      </label>
      {rows.length === 0 ? (
        <Empty>{evaluation.length === 0 ? "This graph has no patterns." : "No pattern is triggered."}</Empty>
      ) : (
        <div class="table-wrap">
          <table data-testid="patterns-table">
            <thead>
              <tr>
                <th scope="col">Pattern</th>
                <th scope="col">Type</th>
                <th scope="col">Confidence</th>
                <th scope="col">Triggered</th>
                <th scope="col">Conditions (value → result)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const pattern = patterns[row.id];
                return (
                  <tr key={row.id} class={row.triggered ? "row-triggered" : undefined}>
                    <td>
                      <strong>{row.id}</strong>
                      {pattern?.description && <div class="muted small">{pattern.description}</div>}
                    </td>
                    <td>{row.type ?? "—"}</td>
                    <td>{formatNumber(pattern?.confidence)}</td>
                    <td>
                      {row.triggered ? (
                        <Badge tone="warn">triggered</Badge>
                      ) : (
                        <Badge tone="muted">not triggered</Badge>
                      )}
                    </td>
                    <td>
                      <ul class="conditions">
                        {row.conditions.map((c) => (
                          <li key={c.expr}>
                            <code>{c.expr}</code> <span class="muted">= {formatNumber(c.value)}</span>{" "}
                            {c.result === null ? (
                              <Badge tone="muted" title="missing node or value">
                                n/a
                              </Badge>
                            ) : c.result ? (
                              <Badge tone="ok">holds</Badge>
                            ) : (
                              <Badge tone="bad">fails</Badge>
                            )}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
