import { getJson } from "../api/client.ts";
import type { GraphDocument, NodePage } from "../api/types.ts";
import { useRequest } from "../hooks/use-request.ts";
import { ErrorNotice, Loading } from "../ui/status.tsx";
import { formatCount } from "../util/format.ts";
import { MarketDataView } from "./data-view.tsx";

/** One page of `GET /api/nodes` (its maximum): enough for the data view's 100 rows of each kind. */
const SAMPLE = 1_000;

/**
 * The data view of a graph too large to download whole (the graph tab's neighbourhood view):
 * its indicators and quotes come from the first page of `GET /api/nodes` instead of the whole
 * document. The data view reads only the document's nodes, so the page stands in for it.
 */
export function SampledDataView({ total, onOpenNode }: { total: number; onOpenNode: (id: string) => void }) {
  const [state, reload] = useRequest(async (signal): Promise<GraphDocument> => {
    const page = await getJson<NodePage>(`/api/nodes?limit=${SAMPLE}`, signal);
    const nodes = Object.fromEntries(page.items.map((node) => [node.id, node]));
    return { version: 2, seq: 0, nodes, edges: [], patterns: {} };
  }, []);
  if (state.status === "error") return <ErrorNotice error={state.error} onRetry={reload} />;
  if (!state.data) return <Loading label="Loading nodes…" />;
  return (
    <>
      <p class="muted small sample-note" data-testid="data-sample-note">
        This graph has {formatCount(total)} nodes: the rows below come from the first{" "}
        {formatCount(Object.keys(state.data.nodes).length)} of them.
      </p>
      <MarketDataView doc={state.data} onOpenNode={onOpenNode} />
    </>
  );
}
