import { formatCount } from "../util/format.ts";

/** What the neighbourhood view shows of the graph, and what the user can do about it. */
export function NeighbourhoodNote({
  shown,
  total,
  limit,
  cap,
}: {
  shown: number;
  total: number;
  /** The full-graph limit the graph is over. */
  limit: number;
  /** Most nodes the view holds. */
  cap: number;
}) {
  return (
    <div class="neighbourhood-note">
      <p data-testid="neighbourhood-note" role="status">
        Showing <strong>{formatCount(shown)}</strong> of <strong>{formatCount(total)}</strong> nodes —{" "}
        {shown === 0 ? "search for a node to start." : "search or expand."}
      </p>
      <p class="muted small">
        This graph has more than {formatCount(limit)} nodes, too many to download and draw whole. A node you
        search for is shown with its neighbours; clicking a shown node adds its neighbours.
      </p>
      {shown >= cap && (
        <p class="field-error small" data-testid="neighbourhood-full">
          The view holds at most {formatCount(cap)} nodes. Clear it to explore elsewhere.
        </p>
      )}
    </div>
  );
}

/** The selected node's neighbours: how many are shown, and a button for the next batch. */
export function SelectedNeighbours({
  id,
  degree,
  remaining,
  next,
  onMore,
}: {
  id: string;
  degree: number;
  remaining: number;
  /** How many "more" would add: 0 when the view is full. */
  next: number;
  onMore: () => void;
}) {
  return (
    <div class="neighbourhood-selected" data-testid="neighbourhood-selected">
      <p class="small">
        <strong>{id}</strong>:{" "}
        {degree === 0
          ? "no neighbours."
          : remaining === 0
            ? `${degree === 1 ? "its neighbour is" : `all ${formatCount(degree)} neighbours are`} shown.`
            : `${formatCount(degree - remaining)} of its ${formatCount(degree)} neighbours shown.`}
      </p>
      {remaining > 0 && (
        <button type="button" data-testid="expand-more" disabled={next === 0} onClick={onMore}>
          {next === 0 ? "Show more (the view is full)" : `Show ${formatCount(next)} more`}
        </button>
      )}
    </div>
  );
}
