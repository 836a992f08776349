import { getJson } from "../api/client.ts";
import type { GraphDocument, GraphStats } from "../api/types.ts";
import { MAX_SHOWN, PER_EXPANSION } from "./neighbourhood-graph.ts";

/**
 * The largest graph, in nodes, that the graph tab downloads whole (`GET /api/graph`) and lays
 * out. Above it the document alone is tens of megabytes (~74 MB at 100k nodes) and building,
 * indexing and laying out the whole graph in the page takes far longer than anyone waits, so the
 * tab shows a neighbourhood view instead. 5,000 nodes download, build and draw in about a second,
 * and a picture of more than that is a hairball anyway.
 */
export const DEFAULT_FULL_GRAPH_LIMIT = 5_000;

/** `?full_graph_limit=<n>` in the page's address overrides the default (tests, the bench, a user who wants it). */
export const FULL_GRAPH_LIMIT_PARAM = "full_graph_limit";

/** `?neighbourhood_cap=<n>`: most nodes the neighbourhood view holds (default `MAX_SHOWN`). */
export const NEIGHBOURHOOD_CAP_PARAM = "neighbourhood_cap";

/** `?neighbourhood_batch=<n>`: most neighbours one expansion adds (default `PER_EXPANSION`). */
export const NEIGHBOURHOOD_BATCH_PARAM = "neighbourhood_batch";

/** What the graph tab shows: the whole document, or a neighbourhood view over a large graph. */
export type GraphSource =
  | { kind: "full"; doc: GraphDocument }
  | { kind: "neighbourhood"; stats: GraphStats; limit: number; cap: number; batch: number };

/** A count from the page's query string, else `fallback`; a value that is not a count is ignored. */
function countParam(name: string, fallback: number, min: number): number {
  const raw = new URLSearchParams(location.search).get(name)?.trim();
  return raw && /^\d{1,9}$/.test(raw) ? Math.max(min, Number(raw)) : fallback;
}

export const fullGraphLimit = (): number => countParam(FULL_GRAPH_LIMIT_PARAM, DEFAULT_FULL_GRAPH_LIMIT, 0);
export const neighbourhoodCap = (): number => countParam(NEIGHBOURHOOD_CAP_PARAM, MAX_SHOWN, 1);
export const neighbourhoodBatch = (): number => countParam(NEIGHBOURHOOD_BATCH_PARAM, PER_EXPANSION, 1);

/**
 * Asks for the statistics first (a few hundred bytes, and the same answer whatever the size),
 * and downloads the whole document only when the graph is within the limit. The extra round trip
 * costs a small graph a few milliseconds; a large one never asks for `/api/graph` at all.
 */
export async function loadGraphSource(signal: AbortSignal): Promise<GraphSource> {
  const stats = await getJson<GraphStats>("/api/graph/stats", signal);
  const limit = fullGraphLimit();
  if (stats.total_nodes > limit)
    return { kind: "neighbourhood", stats, limit, cap: neighbourhoodCap(), batch: neighbourhoodBatch() };
  return { kind: "full", doc: await getJson<GraphDocument>("/api/graph", signal) };
}
