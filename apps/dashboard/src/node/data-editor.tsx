import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, errorMessage, validationIssues } from "../api/api-error.ts";
import { request, seg } from "../api/client.ts";
import type { GraphNode } from "../api/types.ts";
import { type ConflictField, ConflictNotice } from "./conflict-notice.tsx";
import {
  buildPatch,
  changedKeys,
  type FieldDraft,
  hasEdits,
  keyError,
  kindOf,
  parseLoose,
  toDrafts,
} from "./data-fields.ts";
import { FieldInput } from "./field-input.tsx";

interface Props {
  node: GraphNode;
  etag: string | null;
  onSaved: (node: GraphNode, etag: string | null) => void;
  onReload: () => void;
}

/** One version of the node: its value and the `ETag` that names it. */
interface Version {
  node: GraphNode;
  etag: string | null;
}

function sameVersion(a: Version, b: Version): boolean {
  if (a.etag !== null && b.etag !== null) return a.etag === b.etag;
  return JSON.stringify(a.node) === JSON.stringify(b.node);
}

/** The node changed on the server under an edit: a live change seen, or a save refused (412). */
interface Conflict {
  kind: "remote" | "refused";
  /** The newest version known: what "Reload node" shows. */
  latest: Version;
}

/**
 * Edits the node's `data` as fields and saves them with one `PATCH` (a JSON merge patch, with
 * `If-Match` so a concurrent change is not overwritten). Errors of our own checks and of the
 * API's validation are shown beside the field they concern.
 *
 * The fields follow the node live while nothing is typed. Once something is, a newer version
 * does not replace the typed fields, and `If-Match` keeps naming the version they were filled
 * from: the notice says the node changed, a save is refused (412) and says so, and nothing is
 * overwritten unless the user reloads and edits again.
 */
export function DataEditor({ node, etag, onSaved, onReload }: Props) {
  const [base, setBase] = useState<Version>({ node, etag });
  const [drafts, setDrafts] = useState<FieldDraft[]>(() => toDrafts(node.data));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");
  const [newKeyError, setNewKeyError] = useState<string | null>(null);
  const current = useRef({ base, drafts, saving, props: { node, etag } as Version });
  current.current = { base, drafts, saving, props: { node, etag } };

  const rebase = (version: Version) => {
    setBase(version);
    setDrafts(toDrafts(version.node.data));
    setFieldErrors({});
    setFormError(null);
    setConflict(null);
  };

  // A newer version from the panel: a live change, a reload, or our own save coming back.
  // While a save is in flight it waits: the save's answer decides what comes next.
  useEffect(() => {
    const incoming: Version = { node, etag };
    const { base, drafts, saving } = current.current;
    if (saving || sameVersion(base, incoming)) return;
    if (!hasEdits(drafts)) rebase(incoming);
    else setConflict((c) => ({ kind: c?.kind ?? "remote", latest: incoming }));
  }, [node, etag]);

  const update = (key: string, change: Partial<FieldDraft>) => {
    setDrafts((list) => list.map((d) => (d.key === key ? { ...d, ...change } : d)));
    setFieldErrors(({ [key]: _dropped, ...rest }) => rest);
    setNotice(null);
  };

  const addField = () => {
    const error = keyError(
      newKey,
      drafts.map((d) => d.key),
    );
    if (error) {
      setNewKeyError(error);
      return;
    }
    const value = parseLoose(newValue);
    const kind = kindOf(value);
    setDrafts((list) => [
      ...list,
      {
        key: newKey,
        kind,
        original: undefined,
        text: kind === "string" ? newValue : JSON.stringify(value),
        removed: false,
      },
    ]);
    setNewKey("");
    setNewValue("");
    setNewKeyError(null);
  };

  const save = async () => {
    setNotice(null);
    setFormError(null);
    setConflict(null);
    const { patch, errors } = buildPatch(drafts);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    if (Object.keys(patch).length === 0) {
      setNotice("Nothing changed.");
      return;
    }
    setSaving(true);
    current.current.saving = true;
    const path = `/api/nodes/${seg(base.node.id)}`;
    try {
      const response = await request<GraphNode>(path, {
        method: "PATCH",
        body: { data: patch },
        headers: base.etag ? { "If-Match": base.etag } : {},
      });
      // The panel may have seen a change made after ours while we waited: the newer one shows.
      const saved: Version = { node: response.data, etag: response.etag };
      const { props } = current.current;
      rebase(props.node.updated_at > saved.node.updated_at ? props : saved);
      onSaved(response.data, response.etag);
      setNotice(`Saved (${Object.keys(patch).length} field${Object.keys(patch).length === 1 ? "" : "s"}).`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        // Nothing was written. Fetch what is there now, so the notice can show it and
        // "Reload node" has it even when the live feed is down.
        const latest = await request<GraphNode>(path).then(
          (r): Version => ({ node: r.data, etag: r.etag }),
          () => current.current.props,
        );
        setConflict({ kind: "refused", latest });
        return;
      }
      const issues = validationIssues(err);
      const byField: Record<string, string> = {};
      const general: string[] = [];
      for (const issue of issues) {
        const key = issue.path[0] === "data" ? issue.path[1] : undefined;
        if (typeof key === "string" && drafts.some((d) => d.key === key)) byField[key] = issue.message;
        else general.push(`${issue.path.join(".") || "body"}: ${issue.message}`);
      }
      setFieldErrors(byField);
      setFormError(general.length > 0 ? `${errorMessage(err)} — ${general.join("; ")}` : errorMessage(err));
    } finally {
      setSaving(false);
      current.current.saving = false;
    }
  };

  /** Drops the edit and shows the newest version known; the panel asks the server again too. */
  const reloadNode = () => {
    rebase(conflict?.latest ?? { node, etag });
    onReload();
  };

  // What the notice lists: the fields changed on the server (a live change), or the fields of
  // the refused edit beside their value on the server now.
  let conflictFields: ConflictField[] = [];
  if (conflict) {
    const now = conflict.latest.node.data;
    if (conflict.kind === "remote") {
      conflictFields = changedKeys(base.node.data, now).map((key) => ({ key, server: now[key] }));
    } else {
      const { patch } = buildPatch(drafts);
      conflictFields = Object.keys(patch).map((key) => ({
        key,
        yours: patch[key] === null ? "removed" : (drafts.find((d) => d.key === key)?.text ?? ""),
        server: now[key],
      }));
    }
  }

  return (
    <form
      class="data-editor"
      data-testid="data-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {drafts.length === 0 && <p class="muted">This node has no data fields yet.</p>}
      {drafts.map((draft) => {
        const error = fieldErrors[draft.key];
        const id = `field-${draft.key.replace(/\s/g, "_")}`;
        return (
          <div class={`data-field${draft.removed ? " removed" : ""}`} key={draft.key}>
            <label for={id} class="data-key" title={draft.key}>
              {draft.key}
            </label>
            <FieldInput
              id={id}
              draft={draft}
              invalid={error !== undefined}
              onText={(text) => update(draft.key, { text })}
            />
            <button
              type="button"
              class="link"
              aria-label={draft.removed ? `Keep ${draft.key}` : `Remove ${draft.key}`}
              onClick={() => update(draft.key, { removed: !draft.removed })}
            >
              {draft.removed ? "Keep" : "Remove"}
            </button>
            {error && (
              <span class="field-error" id={`${id}-error`} role="alert" data-testid="field-error">
                {error}
              </span>
            )}
          </div>
        );
      })}
      <fieldset class="add-field">
        <legend>Add a field</legend>
        <input
          aria-label="New field name"
          placeholder="name"
          value={newKey}
          aria-invalid={newKeyError !== null}
          onInput={(e) => {
            setNewKey(e.currentTarget.value);
            setNewKeyError(null);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              addField();
            }
          }}
        />
        <input
          aria-label="New field value"
          placeholder="value (JSON or text)"
          value={newValue}
          onInput={(e) => setNewValue(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              addField();
            }
          }}
        />
        <button type="button" onClick={addField}>
          Add
        </button>
        {newKeyError && (
          <span class="field-error" role="alert">
            {newKeyError}
          </span>
        )}
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={saving} data-testid="save-data">
          {saving ? "Saving…" : "Save changes"}
        </button>
        <button type="button" onClick={() => rebase(conflict?.latest ?? { node, etag })} disabled={saving}>
          Discard
        </button>
        {notice && (
          <span class="notice" role="status" data-testid="save-notice">
            {notice}
          </span>
        )}
      </div>
      {conflict && (
        <ConflictNotice
          kind={conflict.kind}
          nodeId={base.node.id}
          fields={conflictFields}
          onReload={reloadNode}
        />
      )}
      {formError && (
        <div class="status status-error" role="alert" data-testid="save-error">
          <span>{formError}</span>
        </div>
      )}
    </form>
  );
}
