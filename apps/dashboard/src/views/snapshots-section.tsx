import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../api/api-error.ts";
import { getJson, request, seg } from "../api/client.ts";
import type { Backup, Version } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import type { ConfirmRequest } from "../ui/confirm-dialog.tsx";
import { Empty, ErrorNotice, Loading } from "../ui/status.tsx";
import { formatBytes, formatTime } from "../util/format.ts";

/** What differs between backups and versions; the section itself is the same. */
export interface SnapshotKind<T> {
  title: string;
  noun: string;
  listPath: string;
  createPath: string;
  createLabel: string;
  restorePath: (id: string) => string;
  deletePath?: (id: string) => string;
  describe: (item: T) => string;
  testId: string;
}

export const BACKUPS: SnapshotKind<Backup> = {
  title: "Backups",
  noun: "backup",
  listPath: "/api/backups",
  createPath: "/api/backups",
  createLabel: "Create backup",
  restorePath: (id) => `/api/backups/${seg(id)}/restore`,
  deletePath: (id) => `/api/backups/${seg(id)}`,
  describe: (b) => `${b.files.length} files · ${formatBytes(b.files.reduce((n, f) => n + f.size, 0))}`,
  testId: "backups",
};

export const VERSIONS: SnapshotKind<Version> = {
  title: "Versions",
  noun: "version",
  listPath: "/api/graph/versions",
  createPath: "/api/graph/save",
  createLabel: "Save version",
  restorePath: (id) => `/api/graph/versions/${seg(id)}/restore`,
  describe: (v) => formatBytes(v.size),
  testId: "versions",
};

/**
 * A list of backups or versions, newest first, with create, restore (after confirmation: the
 * server backs up the current state first) and, for backups, delete.
 */
export function SnapshotsSection<T extends { id: string; created: string }>({
  kind,
  confirm,
  onRestored,
  refreshKey,
  onChanged,
}: {
  kind: SnapshotKind<T>;
  confirm: (request: ConfirmRequest) => void;
  onRestored: () => void;
  refreshKey: number;
  onChanged: () => void;
}) {
  const [state, reload] = useRequest((signal) => getJson<T[]>(kind.listPath, signal), [kind, refreshKey]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);

  const act = async (what: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ tone: "ok", text: await what() });
    } catch (err) {
      setMessage({ tone: "error", text: errorMessage(err) });
    } finally {
      setBusy(false);
      onChanged();
    }
  };

  const create = () =>
    act(async () => {
      const { data } = await request<{ id: string }>(kind.createPath, { method: "POST" });
      return `Created ${kind.noun} ${data.id}.`;
    });

  const restore = (id: string) =>
    confirm({
      title: `Restore ${kind.noun} ${id}?`,
      body: (
        <p>
          The graph will be replaced by {kind.noun} <code>{id}</code>. The current state is backed up first,
          so this can be undone by restoring that backup.
        </p>
      ),
      confirmLabel: "Restore",
      danger: true,
      onConfirm: () =>
        void act(async () => {
          await request(kind.restorePath(id), { method: "POST" });
          onRestored();
          return `Restored ${kind.noun} ${id}; the graph has been reloaded.`;
        }),
    });

  const remove = (id: string, path: string) =>
    confirm({
      title: `Delete ${kind.noun} ${id}?`,
      body: (
        <p>
          This deletes the stored files of {kind.noun} <code>{id}</code>. It cannot be undone.
        </p>
      ),
      confirmLabel: "Delete",
      danger: true,
      onConfirm: () =>
        void act(async () => {
          await request(path, { method: "DELETE" });
          return `Deleted ${kind.noun} ${id}.`;
        }),
    });

  let body: ComponentChildren;
  if (state.status === "loading" && !state.data)
    body = <Loading label={`Loading ${kind.title.toLowerCase()}…`} />;
  else if (state.status === "error") body = <ErrorNotice error={state.error} onRetry={reload} />;
  else if (state.data && state.data.length === 0) body = <Empty>No {kind.noun} yet.</Empty>;
  else if (state.data) {
    body = (
      <ul class="snapshot-list" data-testid={`${kind.testId}-list`}>
        {state.data.map((item) => (
          <li key={item.id}>
            <span>
              <code class="snapshot-id">{item.id}</code>{" "}
              <span class="muted small">
                {formatTime(item.created)} · {kind.describe(item)}
              </span>
            </span>
            <span class="row-actions">
              <button type="button" disabled={busy} onClick={() => restore(item.id)}>
                Restore
              </button>
              {kind.deletePath && (
                <button
                  type="button"
                  class="danger-link"
                  disabled={busy}
                  onClick={() => remove(item.id, kind.deletePath!(item.id))}
                >
                  Delete
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
    );
  }

  return (
    <section class="card" aria-labelledby={`${kind.testId}-title`} data-testid={kind.testId}>
      <div class="view-header">
        <h3 id={`${kind.testId}-title`}>{kind.title}</h3>
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() => void create()}
          data-testid={`create-${kind.noun}`}
        >
          {kind.createLabel}
        </button>
      </div>
      {message && (
        <p
          class={message.tone === "ok" ? "notice" : "field-error"}
          role={message.tone === "ok" ? "status" : "alert"}
        >
          {message.text}
        </p>
      )}
      {body}
    </section>
  );
}
