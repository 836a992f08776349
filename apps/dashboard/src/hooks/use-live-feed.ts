import { useEffect, useRef, useState } from "preact/hooks";
import { authHeaders, notifyUnauthorized, onUnauthorized } from "../api/client.ts";
import type { GraphDocument } from "../api/types.ts";
import type { GraphModel } from "../graph/graph-model.ts";
import { applyChangeItem } from "../live/apply-changes.ts";
import { ChangeBus } from "../live/change-bus.ts";
import { ChangeStream, type LiveStatus } from "../live/change-stream.ts";

/**
 * What the page loaded: the whole document (changes apply to it, and to the graph drawn from it),
 * or, for a graph over the full-graph limit, only the `seq` of the statistics it was loaded at
 * (the neighbourhood view applies what concerns the nodes it shows itself). A new object is a
 * reload: the feed follows on from its `seq`.
 */
export type LiveBase = { doc: GraphDocument; model: GraphModel | null } | { seq: number };

export interface LiveFeedOptions {
  base: LiveBase | undefined;
  /** Reload the graph: the feed cannot continue from what was loaded. */
  onReload: () => void;
  /** Changes were applied to `doc` and `model`: render what depends on them again. */
  onApplied: () => void;
}

/** While the reload a resync asked for has not brought a new document, ask again this often. */
const RELOAD_RETRY_MS = [2_000, 5_000, 10_000, 30_000];

/**
 * The app's live connection: follows `GET /api/changes` from the loaded graph's `seq`, applies
 * each record to the document and the drawn graph in place, and passes it on to the views
 * (`ChangeBus`). When the feed cannot continue from where the page is (it fell behind, the
 * server no longer has those changes, a gap), the graph is reloaded and the feed starts again
 * from the new document's `seq`.
 */
export function useLiveFeed({ base, onReload, onApplied }: LiveFeedOptions): {
  status: LiveStatus;
  bus: ChangeBus;
} {
  const [status, setStatus] = useState<LiveStatus>({ state: "idle" });
  const latest = useRef({ base, onReload, onApplied });
  // Updated in the effect below, not here: a record that arrives between this render and that
  // effect still goes to the document the stream is following, and the effect sorts out the rest.
  latest.current.onReload = onReload;
  latest.current.onApplied = onApplied;
  const reloadRetry = useRef<{ timer?: ReturnType<typeof setTimeout>; attempt: number }>({ attempt: 0 });
  const frame = useRef<number | null>(null);

  const [{ bus, stream }] = useState(() => {
    const bus = new ChangeBus();
    // A reload is asked for at most once until the next document arrives; retried on a timer
    // because a failed reload leaves the old document in place and nothing else would retry.
    const reload = () => {
      const retry = reloadRetry.current;
      clearTimeout(retry.timer);
      const delay = RELOAD_RETRY_MS[Math.min(retry.attempt, RELOAD_RETRY_MS.length - 1)]!;
      retry.attempt++;
      retry.timer = setTimeout(reload, delay);
      latest.current.onReload();
    };
    const stream = new ChangeStream({
      headers: authHeaders,
      onStatus: setStatus,
      onUnauthorized: notifyUnauthorized,
      onResync: () => {
        bus.emit({ kind: "resync" });
        reload();
      },
      onItem: (item) => {
        const { base } = latest.current;
        if (base && !("doc" in base) && item.replaced) {
          // The whole graph was replaced (an import, a restore): what is shown is gone.
          stream.stop();
          bus.emit({ kind: "resync" });
          reload();
          return;
        }
        if (base && "doc" in base) {
          const result = applyChangeItem(base.doc, base.model, item);
          if (result.status === "reload") {
            stream.stop();
            bus.emit({ kind: "resync" });
            reload();
            return;
          }
          // One render per frame however many records a burst brings.
          if (result.status === "applied" && frame.current === null) {
            frame.current = requestAnimationFrame(() => {
              frame.current = null;
              latest.current.onApplied();
            });
          }
        }
        bus.emit({ kind: "change", item });
      },
    });
    return { bus, stream };
  });

  // A (re)load: follow the feed from its seq unless the stream already is, at or before it. A
  // stream ahead of the document would skip what the document lacks, so it starts again from
  // the document's seq; records it already passed on reach the views twice, which only makes
  // them refresh once more.
  useEffect(() => {
    latest.current.base = base;
    if (!base) return;
    clearTimeout(reloadRetry.current.timer);
    reloadRetry.current = { attempt: 0 };
    const seq = "doc" in base ? base.doc.seq : base.seq;
    const cursor = stream.cursor;
    if (!stream.running || cursor === null || cursor > seq) stream.start(seq);
  }, [base, stream]);

  useEffect(() => {
    const online = () => stream.retryNow();
    addEventListener("online", online);
    // The token was refused (or forgotten) anywhere: the stream must not go on with the old
    // one. Once a token is entered the graph reloads, and the new document starts it again.
    const stopUnauthorized = onUnauthorized(() => {
      if (stream.running)
        stream.stop({ state: "offline", reason: "the server needs an API token", retrying: false });
    });
    return () => {
      stopUnauthorized();
      removeEventListener("online", online);
      stream.stop();
      clearTimeout(reloadRetry.current.timer);
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [stream]);

  return { status, bus };
}
