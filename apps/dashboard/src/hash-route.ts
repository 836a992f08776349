import { useEffect, useState } from "preact/hooks";

export const TABS = [
  { id: "graph", label: "Graph" },
  { id: "patterns", label: "Patterns" },
  { id: "workflows", label: "Workflows" },
  { id: "data", label: "Data" },
  { id: "operations", label: "Operations" },
] as const;

export type TabId = (typeof TABS)[number]["id"];

export interface Route {
  tab: TabId;
  /** The open node (graph tab only): `#/graph/<id>`. */
  node: string | null;
}

export function parseHash(hash: string): Route {
  const [, tab = "", ...rest] = hash.replace(/^#/, "").split("/");
  const known = TABS.find((t) => t.id === tab);
  if (!known) return { tab: "graph", node: null };
  let node: string | null = null;
  if (known.id === "graph" && rest.length > 0) {
    try {
      node = decodeURIComponent(rest.join("/")) || null;
    } catch {
      node = null;
    }
  }
  return { tab: known.id, node };
}

export function routeHash(route: Route): string {
  return route.tab === "graph" && route.node ? `#/graph/${encodeURIComponent(route.node)}` : `#/${route.tab}`;
}

/** The route kept in `location.hash`, so a reload or a shared link opens the same view and node. */
export function useHashRoute(): [Route, (route: Route) => void] {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  const navigate = (next: Route) => {
    const hash = routeHash(next);
    if (hash !== location.hash) location.hash = hash;
    setRoute(next);
  };
  return [route, navigate];
}
