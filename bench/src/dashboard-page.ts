/**
 * The dashboard in headless Chromium, as the `dashboard` group (src/cases/dashboard.ts) measures
 * it: one cold page load up to the graph tab's first meaningful paint, and the neighbourhood
 * view's search → expand interaction. Times are read from the page's own `performance` marks, so
 * Playwright's round trips are not in them.
 */
import type { Browser, Page } from "playwright-core";

/**
 * The marks the dashboard sets (apps/dashboard/src/graph/paint-mark.ts and graph-model.ts,
 * graph-canvas.tsx); repeated here because the bench does not compile the dashboard's DOM code.
 */
export const MARKS = {
  painted: "dawsos:graph-painted",
  drawn: "dawsos:neighbourhood-drawn",
  built: "dawsos:graph-built",
  sigma: "dawsos:sigma-ready",
} as const;

export interface PageLoad {
  /** Navigation start → first meaningful paint of the graph tab (ms); null: not within the timeout. */
  paintMs: number | null;
  /** The view the graph tab chose: "full" or "neighbourhood". */
  view: string | null;
  /** Every API path the page asked for, in order. */
  asked: string[];
  /** What the page had received by the paint (or the timeout): path, when its answer ended, body bytes. */
  resources: { path: string; endMs: number; bytes: number }[];
  /** `dawsos:graph-built` and `dawsos:sigma-ready` (ms from navigation start), when they came. */
  marks: Record<string, number>;
}

/** Settles with null after `ms` instead of waiting for a page whose main thread is stuck. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((done) => {
    timer = setTimeout(() => done(null), ms);
  });
  try {
    return await Promise.race([work.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens `url` in a new browser context (a cold cache, as a first visit) and waits for the graph
 * tab's first meaningful paint: the `dawsos:graph-painted` mark, whose `startTime` counts from
 * the navigation's start. `keep` leaves the page open for more work (the caller closes its context).
 */
export async function loadDashboard(
  browser: Browser,
  url: string,
  timeoutMs: number,
  keep = false,
): Promise<{ load: PageLoad; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const asked: string[] = [];
  page.on("request", (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith("/api/")) asked.push(pathname);
  });
  let paintMs: number | null = null;
  let view: string | null = null;
  try {
    await page.goto(url, { waitUntil: "commit", timeout: timeoutMs });
    const mark = await page.waitForFunction(
      (name) => {
        const entry = performance.getEntriesByName(name)[0] as PerformanceMark | undefined;
        return entry
          ? { at: entry.startTime, view: (entry.detail as { view?: string } | null)?.view ?? null }
          : null;
      },
      MARKS.painted,
      { timeout: timeoutMs, polling: 100 },
    );
    const value = (await mark.jsonValue()) as { at: number; view: string | null };
    paintMs = value.at;
    view = value.view;
  } catch {
    // Not painted within the timeout (the whole-graph path at 100k): paintMs stays null.
  }
  // A page still busy building a 100k-node graph may not answer at all: give it a few seconds.
  const seen = await within(
    5_000,
    page.evaluate(
      (names) => {
        const resources = (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
          .filter((e) => e.responseEnd > 0)
          .map((e) => ({ path: new URL(e.name).pathname, endMs: e.responseEnd, bytes: e.encodedBodySize }));
        const marks: Record<string, number> = {};
        for (const name of names) {
          const entry = performance.getEntriesByName(name)[0];
          if (entry) marks[name] = entry.startTime;
        }
        return { resources, marks };
      },
      [MARKS.built, MARKS.sigma],
    ),
  );
  const load: PageLoad = {
    paintMs,
    view,
    asked,
    resources: seen?.resources ?? [],
    marks: seen?.marks ?? {},
  };
  if (!keep) await within(30_000, context.close());
  return { load, page };
}

export interface Expansion {
  /** Typing the query → its result listed (includes the search box's 180 ms debounce). */
  searchMs: number;
  /** Choosing the result → the node and its neighbours drawn (`dawsos:neighbourhood-drawn`). */
  drawMs: number;
  /** Nodes in the view afterwards. */
  shown: number;
}

/**
 * In a page showing the neighbourhood view: searches for `id`, chooses it, and times both steps
 * with the page's clock; then clears the view for the next one.
 */
export async function searchAndExpand(page: Page, id: string, timeoutMs: number): Promise<Expansion> {
  const now = () => page.evaluate(() => performance.now());
  const search = page.getByTestId("search-input");
  const option = page.getByTestId("search-results").getByRole("option").filter({ hasText: id }).first();
  const t0 = await now();
  await search.fill(id);
  await option.waitFor({ timeout: timeoutMs });
  const searchMs = (await now()) - t0;
  const before = await page.evaluate((name) => performance.getEntriesByName(name).length, MARKS.drawn);
  const t1 = await now();
  await option.click();
  const drawn = await page.waitForFunction(
    ([name, count]) => {
      const entries = performance.getEntriesByName(name as string);
      return entries.length > (count as number) ? entries[entries.length - 1]!.startTime : null;
    },
    [MARKS.drawn, before] as const,
    { timeout: timeoutMs, polling: "raf" },
  );
  const drawMs = ((await drawn.jsonValue()) as number) - t1;
  const view = page.locator('[data-view="neighbourhood"]');
  const shown = Number(await view.getAttribute("data-shown"));
  await page.getByTestId("clear-view").click();
  await page.locator('[data-view="neighbourhood"][data-shown="0"]').waitFor({ timeout: timeoutMs });
  return { searchMs, drawMs, shown };
}
