import { useState } from "preact/hooks";
import { errorMessage } from "../api/api-error.ts";
import { getJson } from "../api/client.ts";
import type { GraphPath } from "../api/types.ts";
import { formatNumber } from "../util/format.ts";

/** `GET /api/paths`: strongest paths from this node to another; "Show" highlights one in the graph. */
export function PathFinder({
  from,
  onOpen,
  onHighlight,
}: {
  from: string;
  onOpen: (id: string) => void;
  onHighlight: (nodes: ReadonlySet<string> | null) => void;
}) {
  const [to, setTo] = useState("");
  const [depth, setDepth] = useState(4);
  const [state, setState] = useState<
    | { status: "idle" }
    | { status: "loading" }
    | { status: "ok"; paths: GraphPath[] }
    | { status: "error"; message: string }
  >({ status: "idle" });

  const find = async () => {
    const target = to.trim();
    if (!target) return;
    setState({ status: "loading" });
    onHighlight(null);
    try {
      const query = new URLSearchParams({ from, to: target, max_depth: String(depth) });
      setState({ status: "ok", paths: await getJson<GraphPath[]>(`/api/paths?${query}`) });
    } catch (err) {
      setState({ status: "error", message: errorMessage(err) });
    }
  };

  return (
    <div class="path-finder">
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void find();
        }}
      >
        <label class="field">
          <span>To node id</span>
          <input
            value={to}
            placeholder="e.g. AAPL"
            onInput={(e) => setTo(e.currentTarget.value)}
            data-testid="path-to"
          />
        </label>
        <label class="field field-small">
          <span>Max depth</span>
          <select value={depth} onChange={(e) => setDepth(Number(e.currentTarget.value))}>
            {[1, 2, 3, 4, 5, 6, 7, 8].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={to.trim() === "" || state.status === "loading"}>
          Find paths
        </button>
      </form>
      {state.status === "loading" && <p class="muted">Searching…</p>}
      {state.status === "error" && (
        <p class="field-error" role="alert">
          {state.message}
        </p>
      )}
      {state.status === "ok" && state.paths.length === 0 && (
        <p class="muted">No path of at most {depth} steps.</p>
      )}
      {state.status === "ok" && state.paths.length > 0 && (
        <ol class="path-list" data-testid="path-list">
          {state.paths.map((path) => (
            <li key={path.edges.join("|")}>
              <span class="path-nodes">
                {path.nodes.map((id, i) => (
                  <span key={id}>
                    {i > 0 && <span aria-hidden="true"> → </span>}
                    <button type="button" class="link" onClick={() => onOpen(id)}>
                      {id}
                    </button>
                  </span>
                ))}
              </span>
              <span class="muted"> strength {formatNumber(path.strength)} </span>
              <button type="button" class="link" onClick={() => onHighlight(new Set(path.nodes))}>
                Show
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
