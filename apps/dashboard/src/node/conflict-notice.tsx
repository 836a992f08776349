import type { JsonValue } from "../api/types.ts";
import { previewValue } from "../util/format.ts";

export interface ConflictField {
  key: string;
  /** What the user typed (for a refused save), if anything. */
  yours?: string;
  /** The value on the server now; `undefined` when the field is gone there. */
  server: JsonValue | undefined;
}

/**
 * The node changed on the server while it was being edited. `remote`: a live change arrived
 * and the typed fields were kept as they are (saving them would be refused); `refused`: a save
 * was refused with 412, nothing was written. Either way the user chooses: reload the node's
 * current value (dropping the edit), or keep the fields and copy what they need first.
 */
export function ConflictNotice({
  kind,
  nodeId,
  fields,
  onReload,
}: {
  kind: "remote" | "refused";
  nodeId: string;
  fields: ConflictField[];
  onReload: () => void;
}) {
  return (
    <div
      class={`status ${kind === "refused" ? "status-error" : "status-warn"}`}
      role={kind === "refused" ? "alert" : "status"}
      data-testid={kind === "refused" ? "save-error" : "remote-change"}
    >
      <span>
        {kind === "refused" ? (
          <>
            <strong>Not saved: conflict.</strong> “{nodeId}” was changed by someone else after you started
            editing, and saving would have overwritten that change (412).
          </>
        ) : (
          <>
            <strong>“{nodeId}” changed on the server while you were editing.</strong> Your edits are kept
            here, but saving them will be refused until you reload.
          </>
        )}
      </span>
      {fields.length > 0 && (
        <ul class="conflict-fields" data-testid="conflict-fields">
          {fields.map((f) => (
            <li key={f.key}>
              <code>{f.key}</code>: now {f.server === undefined ? "removed" : `“${previewValue(f.server)}”`}
              {f.yours !== undefined && ` · yours “${f.yours}”`}
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={onReload} data-testid="reload-node">
        Reload node (discard my edits)
      </button>
    </div>
  );
}
