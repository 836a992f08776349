/**
 * `performance.mark` names the graph tab sets, read by the browser benchmark (bench/src/cases/
 * dashboard.ts). Their `startTime` counts from the navigation's start (`performance.timeOrigin`).
 */
export const GRAPH_PAINTED = "dawsos:graph-painted";
export const NEIGHBOURHOOD_DRAWN = "dawsos:neighbourhood-drawn";

/**
 * Marks `name` once the frame now being prepared has been painted: an effect runs after the DOM
 * was updated, the first animation frame comes before that update is painted, the second after.
 */
export function markAfterPaint(name: string, detail?: unknown): void {
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(name, { detail })));
}

let graphPainted = false;

/**
 * First meaningful paint of the graph tab, once per page: the full view with its canvas drawn
 * and the counts shown, or the neighbourhood view with its statistics and a search box ready.
 */
export function markGraphPainted(view: "full" | "neighbourhood"): void {
  if (graphPainted) return;
  graphPainted = true;
  markAfterPaint(GRAPH_PAINTED, { view });
}
