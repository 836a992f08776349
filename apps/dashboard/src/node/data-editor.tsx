import { useEffect, useState } from "preact/hooks";
import { ApiError, errorMessage, validationIssues } from "../api/api-error.ts";
import { request, seg } from "../api/client.ts";
import type { GraphNode } from "../api/types.ts";
import { buildPatch, type FieldDraft, keyError, kindOf, parseLoose, toDrafts } from "./data-fields.ts";
import { FieldInput } from "./field-input.tsx";

interface Props {
  node: GraphNode;
  etag: string | null;
  onSaved: (node: GraphNode, etag: string | null) => void;
  onReload: () => void;
}

/**
 * Edits the node's `data` as fields and saves them with one `PATCH` (a JSON merge patch, with
 * `If-Match` so a concurrent change is not overwritten). Errors of our own checks and of the
 * API's validation are shown beside the field they concern.
 */
export function DataEditor({ node, etag, onSaved, onReload }: Props) {
  const [drafts, setDrafts] = useState<FieldDraft[]>(() => toDrafts(node.data));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<{ message: string; stale: boolean } | null>(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");
  const [newKeyError, setNewKeyError] = useState<string | null>(null);

  useEffect(() => {
    setDrafts(toDrafts(node.data));
    setFieldErrors({});
    setFormError(null);
  }, [node]);

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
    const { patch, errors } = buildPatch(drafts);
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    if (Object.keys(patch).length === 0) {
      setNotice("Nothing changed.");
      return;
    }
    setSaving(true);
    try {
      const response = await request<GraphNode>(`/api/nodes/${seg(node.id)}`, {
        method: "PATCH",
        body: { data: patch },
        headers: etag ? { "If-Match": etag } : {},
      });
      onSaved(response.data, response.etag);
      setNotice(`Saved (${Object.keys(patch).length} field${Object.keys(patch).length === 1 ? "" : "s"}).`);
    } catch (err) {
      const issues = validationIssues(err);
      const byField: Record<string, string> = {};
      const general: string[] = [];
      for (const issue of issues) {
        const key = issue.path[0] === "data" ? issue.path[1] : undefined;
        if (typeof key === "string" && drafts.some((d) => d.key === key)) byField[key] = issue.message;
        else general.push(`${issue.path.join(".") || "body"}: ${issue.message}`);
      }
      setFieldErrors(byField);
      const stale = err instanceof ApiError && err.status === 412;
      setFormError({
        message: stale
          ? "This node changed since it was opened. Reload it, then apply your edit again."
          : general.length > 0
            ? `${errorMessage(err)} — ${general.join("; ")}`
            : errorMessage(err),
        stale,
      });
    } finally {
      setSaving(false);
    }
  };

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
        <button type="button" onClick={() => setDrafts(toDrafts(node.data))} disabled={saving}>
          Discard
        </button>
        {notice && (
          <span class="notice" role="status" data-testid="save-notice">
            {notice}
          </span>
        )}
      </div>
      {formError && (
        <div class="status status-error" role="alert" data-testid="save-error">
          <span>{formError.message}</span>
          {formError.stale && (
            <button type="button" onClick={onReload}>
              Reload node
            </button>
          )}
        </div>
      )}
    </form>
  );
}
