import type { ComponentChildren } from "preact";
import { getJson } from "../api/client.ts";
import type { IntegrityReport } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import { Badge } from "../ui/badge.tsx";
import { ErrorNotice, Loading } from "../ui/status.tsx";
import { formatCount } from "../util/format.ts";

/** `GET /api/integrity`: healthy or damaged, what failed, what recovery did at start. */
export function IntegrityCard({ refreshKey }: { refreshKey: number }) {
  const [state, reload] = useRequest(
    (signal) => getJson<IntegrityReport>("/api/integrity", signal),
    [refreshKey],
  );
  let body: ComponentChildren;
  if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (!state.data) body = <Loading label="Verifying every file…" />;
  else {
    const report = state.data;
    const bad = report.files.filter((f) => !f.ok);
    const notes = report.files.filter((f) => f.ok && f.note);
    body = (
      <>
        <p data-testid="integrity-status">
          {report.ok ? <Badge tone="ok">healthy</Badge> : <Badge tone="bad">damaged</Badge>}{" "}
          <span class="muted">
            {formatCount(report.files.length)} files checked
            {bad.length > 0 ? `, ${bad.length} failed` : ""}
          </span>
        </p>
        {report.recovery && (
          <p class="notice">
            Recovered at start: <code>{report.recovery.file}</code> was damaged (
            {report.recovery.error.message}); the graph was restored from{" "}
            <code>{report.recovery.recoveredFrom}</code>.
          </p>
        )}
        {bad.length > 0 && (
          <ul class="integrity-failures">
            {bad.map((f) => (
              <li key={f.key}>
                <code>{f.key}</code>: <span class="field-error">{f.error?.message ?? "failed"}</span>
              </li>
            ))}
          </ul>
        )}
        {notes.length > 0 && (
          <ul class="muted small">
            {notes.map((f) => (
              <li key={f.key}>
                <code>{f.key}</code>: {f.note}
              </li>
            ))}
          </ul>
        )}
        <details>
          <summary>All files</summary>
          <ul class="file-list">
            {report.files.map((f) => (
              <li key={f.key}>
                {f.ok ? "✓" : "✗"} <code>{f.key}</code>
              </li>
            ))}
          </ul>
        </details>
      </>
    );
  }
  return (
    <section class="card" aria-labelledby="integrity-title">
      <div class="view-header">
        <h3 id="integrity-title">Integrity</h3>
        <button type="button" onClick={reload} disabled={state.status === "loading"}>
          Verify again
        </button>
      </div>
      {body}
    </section>
  );
}
