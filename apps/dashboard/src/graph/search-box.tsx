import { useEffect, useId, useState } from "preact/hooks";
import { errorMessage } from "../api/api-error.ts";
import { getJson } from "../api/client.ts";
import type { GraphNode, NodePage } from "../api/types.ts";
import { nodeLabel } from "./graph-model.ts";

/**
 * Search by id, name or symbol through `GET /api/nodes?q=` (the server's matching, so results
 * agree with the API). A combobox: arrows move, Enter opens, Escape clears.
 */
export function SearchBox({ onOpen }: { onOpen: (id: string) => void }) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<GraphNode[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const listId = useId();

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      setError(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      getJson<NodePage>(`/api/nodes?q=${encodeURIComponent(q)}&limit=20`, controller.signal).then(
        (page) => {
          setResults(page.items);
          setError(null);
          setActive(0);
        },
        (err: unknown) => {
          if (!controller.signal.aborted) setError(errorMessage(err));
        },
      );
    }, 180);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  const open = (node: GraphNode | undefined) => {
    if (!node) return;
    onOpen(node.id);
    setResults(null);
    setQuery("");
  };

  const expanded = results !== null && query.trim() !== "";
  return (
    <div class="search">
      <label class="field">
        <span>Search nodes</span>
        <input
          type="search"
          role="combobox"
          placeholder="id, name or symbol"
          data-testid="search-input"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={expanded && results.length > 0 ? `${listId}-${active}` : undefined}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" && results) {
              e.preventDefault();
              setActive((a) => Math.min(a + 1, results.length - 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((a) => Math.max(a - 1, 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              open(results?.[active]);
            } else if (e.key === "Escape" && query !== "") {
              e.preventDefault();
              setQuery("");
              setResults(null);
            }
          }}
        />
      </label>
      {error && (
        <div class="status status-error" role="alert">
          {error}
        </div>
      )}
      {expanded && results.length === 0 && (
        <p class="search-results muted" data-testid="search-results">
          No node matches “{query.trim()}”.
        </p>
      )}
      {expanded && results.length > 0 && (
        <div class="search-results" id={listId} role="listbox" tabIndex={-1} data-testid="search-results">
          {results.map((node, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox input handles the keyboard
            <div
              key={node.id}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              class={i === active ? "active" : undefined}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => open(node)}
            >
              <span class="search-id">{node.id}</span>
              <span class="muted">
                {nodeLabel(node) !== node.id ? `${nodeLabel(node)} · ` : ""}
                {node.type}
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
