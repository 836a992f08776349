import { useMemo } from "preact/hooks";
import { getJson, seg } from "../api/client.ts";
import type { FredValue, GraphDocument, GraphNode, Quote } from "../api/types.ts";
import { useLiveValues } from "../hooks/use-live-values.ts";
import { Empty, Unavailable } from "../ui/status.tsx";
import { formatNumber } from "../util/format.ts";
import { CacheStatsCard } from "./cache-stats-card.tsx";
import { LiveCells, withUnit } from "./live-cells.tsx";

const MAX_ROWS = 100;

function stringField(node: GraphNode, key: string): string | null {
  const value = node.data[key];
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/**
 * Indicators (nodes with `data.series_id`, live from `GET /api/data/fred/...`), quotes (nodes
 * with `data.symbol`, from `GET /api/data/quotes/...`) and the cache statistics. The graph's own
 * value sits beside the live one; each live value says whether it came from the cache or is stale.
 */
export function MarketDataView({
  doc,
  onOpenNode,
}: {
  doc: GraphDocument;
  onOpenNode: (id: string) => void;
}) {
  const nodes = useMemo(() => Object.values(doc.nodes), [doc]);
  const indicators = useMemo(
    () => nodes.filter((n) => stringField(n, "series_id")).slice(0, MAX_ROWS),
    [nodes],
  );
  const quoted = useMemo(
    () => nodes.filter((n) => stringField(n, "symbol") && n.type !== "indicator").slice(0, MAX_ROWS),
    [nodes],
  );
  const seriesIds = useMemo(
    () => [...new Set(indicators.map((n) => stringField(n, "series_id")!))],
    [indicators],
  );
  const symbols = useMemo(() => [...new Set(quoted.map((n) => stringField(n, "symbol")!))], [quoted]);

  const fred = useLiveValues<FredValue>(seriesIds, (id) => `/api/data/fred/${seg(id)}`, getJson);
  const quotes = useLiveValues<Quote>(symbols, (s) => `/api/data/quotes/${seg(s)}`, getJson);
  // The cache statistics are read again once the live values are in (they changed them).
  const pending = [...fred.values.values(), ...quotes.values.values()].some((v) => v.status === "loading");

  return (
    <section class="view" aria-labelledby="data-title">
      <div class="view-header">
        <h2 id="data-title">Data</h2>
      </div>
      <section class="card" aria-labelledby="indicators-title" data-testid="indicators">
        <div class="view-header">
          <h3 id="indicators-title">Economic indicators (FRED)</h3>
          <button type="button" onClick={fred.refresh} disabled={seriesIds.length === 0}>
            Refresh
          </button>
        </div>
        {fred.unavailable !== null && <Unavailable what="Live indicator data" error={fred.unavailable} />}
        {indicators.length === 0 ? (
          <Empty>No node in this graph names a FRED series (data.series_id).</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Series</th>
                  <th scope="col">In graph</th>
                  <th scope="col">Latest</th>
                  <th scope="col">Date</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {indicators.map((node) => {
                  const series = stringField(node, "series_id")!;
                  return (
                    <tr key={node.id}>
                      <td>
                        <button type="button" class="link" onClick={() => onOpenNode(node.id)}>
                          {node.id}
                        </button>
                        {stringField(node, "name") && (
                          <div class="muted small">{stringField(node, "name")}</div>
                        )}
                      </td>
                      <td>
                        <code>{series}</code>
                      </td>
                      <td>{withUnit(formatNumber(node.data.value), stringField(node, "unit"))}</td>
                      <LiveCells
                        live={fred.unavailable === null ? fred.values.get(series) : undefined}
                        render={(v) => [formatNumber(v.value), v.date, v]}
                      />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="quotes-title" data-testid="quotes">
        <div class="view-header">
          <h3 id="quotes-title">Market quotes</h3>
          <button type="button" onClick={quotes.refresh} disabled={symbols.length === 0}>
            Refresh
          </button>
        </div>
        {quotes.unavailable !== null && <Unavailable what="Live quotes" error={quotes.unavailable} />}
        {quoted.length === 0 ? (
          <Empty>No node in this graph has a ticker symbol (data.symbol).</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Symbol</th>
                  <th scope="col">In graph</th>
                  <th scope="col">Price</th>
                  <th scope="col">Change</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {quoted.map((node) => {
                  const symbol = stringField(node, "symbol")!;
                  return (
                    <tr key={node.id}>
                      <td>
                        <button type="button" class="link" onClick={() => onOpenNode(node.id)}>
                          {symbol}
                        </button>
                        <div class="muted small">{node.type}</div>
                      </td>
                      <td>{formatNumber(node.data.price)}</td>
                      <LiveCells
                        live={quotes.unavailable === null ? quotes.values.get(symbol) : undefined}
                        render={(q) => [
                          formatNumber(q.price),
                          q.change_percent === null
                            ? "—"
                            : `${formatNumber(q.change)} (${formatNumber(q.change_percent)}%)`,
                          q,
                        ]}
                      />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <CacheStatsCard settled={!pending} />
    </section>
  );
}
