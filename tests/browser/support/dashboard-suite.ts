import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { inkRatio } from "./canvas-ink.ts";
import { launchChromium } from "./chromium.ts";

/**
 * One server the dashboard suite runs against: the Node server or the Worker under
 * `wrangler dev`. Both require a token here, so the suite drives the same flow on both (the
 * token dialog first, then everything else); Node's no-token mode has its own case in
 * dashboard.node.test.ts.
 */
export interface DashboardTarget {
  /** Where the dashboard is served (`http://127.0.0.1:<port>/`). */
  readonly baseUrl: string;
  /** The bearer token the target's `/api/*` requires. */
  readonly token: string;
  /** The server's recent output, whose tail is shown when a case fails. */
  output(): string;
  stop(): Promise<void>;
}

/** What a file that runs the suite can use in its own target-specific cases. */
export interface DashboardSuite {
  /** The file's one Chromium (open a new page in it; the suite's own page is left alone). */
  browser(): Browser;
  /** The file's one target (started by the suite's `beforeAll`). */
  target(): DashboardTarget;
}

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts");
const WAIT = { timeout: 30_000 };

/** Serves one HTML page on a free loopback port (another origin than the target's). */
async function serveOnLoopback(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

/** `http://127.0.0.1:1234` and `http://127.0.0.1:1234/` alike become the latter. */
export function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The dashboard in real Chromium against a real server: the same cases on the Node server and on
 * the Worker (issue 12: the dashboard the Worker serves passes the same browser tests). Registers file-level hooks — one target and one browser for the whole
 * file — so call it at the top level of a test file, once.
 *
 * The cases run in order and build on each other, like a user's session: the token entered in
 * the dialog stays in the tab's `sessionStorage` for every later case, the price edited in one is
 * what the backup restored in a later one must keep.
 */
export function runDashboardSuite(name: string, startTarget: () => Promise<DashboardTarget>): DashboardSuite {
  let target: DashboardTarget | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const external: string[] = [];
  const pageErrors: string[] = [];

  const running = (): DashboardTarget => {
    if (!target) throw new Error(`${name} did not start`);
    return target;
  };

  /** A call to the API as a script makes it: with the token, outside the browser. */
  async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${running().token}`);
    const response = await fetch(new URL(path, running().baseUrl), {
      ...init,
      headers,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  beforeAll(async () => {
    browser = await launchChromium();
    target = await startTarget();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    page.setDefaultTimeout(30_000);
    const origin = new URL(target.baseUrl).origin;
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) external.push(url);
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 180_000);

  // A failure in the browser often has its cause on the server side: show the server's output.
  afterEach((context) => {
    if (context.task.result?.state === "fail" && target)
      console.error(`${name}:\n${target.output().slice(-6000)}`);
  });

  afterAll(async () => {
    await browser?.close();
    await target?.stop();
  }, 30_000);

  describe(`dashboard on ${name}`, () => {
    it("is served at / beside the API, which keeps its own answers", async () => {
      // What the browser asks for without a token: the page, its files and /health.
      const get = (path: string) =>
        fetch(new URL(path, running().baseUrl), { signal: AbortSignal.timeout(15_000) });
      const index = await get("/");
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toContain("text/html");
      const html = await index.text();
      expect(html).toContain('<div id="app">');
      // Client-side routes get the page; unknown API paths and missing files keep the JSON 404
      // (a missing script answered with the page would fail in the browser as a MIME error).
      expect((await get("/patterns")).headers.get("content-type")).toContain("text/html");
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      expect(script, html).toBeDefined();
      const asset = await get(new URL(script!, running().baseUrl).pathname);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
      for (const path of ["/no-such-file.js", "/assets/no-such-chunk.js"]) {
        const response = await get(path);
        expect(response.status, path).toBe(404);
        expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe("not_found");
      }
      const unknownApi = await api<{ error: { code: string } }>("/api/no-such-route");
      expect(unknownApi.status).toBe(404);
      expect(unknownApi.body.error.code).toBe("not_found");
      expect((await get("/health")).status).toBe(200);
      expect((await api<{ openapi: string }>("/openapi.json")).body.openapi).toBe("3.1.0");
    });

    it("asks for the token on 401, keeps it for the tab, and then shows the graph", async () => {
      // The dashboard's own /api request is refused without the token: the dialog asks for it.
      await page.goto(running().baseUrl);
      const dialog = page.getByTestId("token-dialog");
      await dialog.getByLabel("Token").waitFor(WAIT);
      await dialog.getByLabel("Token").fill(running().token);
      await dialog.getByLabel("Token").press("Enter");
      await page.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
      expect(await page.evaluate(() => sessionStorage.getItem("dawsos.apiToken"))).toBe(running().token);
      // Kept for the tab: a reload does not ask again.
      await page.reload();
      await page.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
      expect(await page.getByTestId("token-dialog").isVisible()).toBe(false);
    });

    it("renders the whole graph: a non-empty canvas and the node count", async () => {
      const health = await api<{ graph: { nodes: number; edges: number } }>("/health");
      await page.goto(running().baseUrl);
      await page.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
      await expect
        .poll(() => page.getByTestId("node-count").textContent(), WAIT)
        .toContain(`${health.body.graph.nodes} nodes · ${health.body.graph.edges} edges`);
      // Filtering a type out says how many nodes are left.
      const stats = await api<{ total_nodes: number; node_types: Record<string, number> }>(
        "/api/graph/stats",
      );
      const stocks = page.getByTestId("type-filter").getByRole("checkbox", { name: /^stock/ });
      await stocks.uncheck();
      const shown = stats.body.total_nodes - stats.body.node_types.stock!;
      await expect
        .poll(() => page.getByTestId("node-count").textContent(), WAIT)
        .toContain(`(${shown} shown)`);
      await stocks.check();
      // Let the bounded layout finish, then look at the pixels actually drawn.
      await page.getByTestId("layout-toggle").filter({ hasText: "Run layout" }).waitFor(WAIT);
      expect(await inkRatio(page, page.getByTestId("graph-canvas"))).toBeGreaterThan(0.005);

      mkdirSync(ARTIFACTS, { recursive: true });
      const slug = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
      await page.screenshot({ path: join(ARTIFACTS, `dashboard-main-${slug}.png`) });
    });

    it("finds a stock by name, opens it, and keeps an edited price across a reload", async () => {
      const search = page.getByTestId("search-input");
      await search.fill("apple");
      await page.getByTestId("search-results").getByRole("option", { name: /AAPL/ }).waitFor(WAIT);
      await search.press("Enter");
      await expect.poll(() => page.getByTestId("node-title").textContent(), WAIT).toBe("AAPL");
      expect(new URL(page.url()).hash).toBe("#/graph/AAPL");

      const price = page.getByTestId("field-price");
      // Our own check first: a price that is not a number is refused inline, nothing is sent.
      await price.fill("a lot");
      await page.getByTestId("save-data").click();
      await expect
        .poll(() => page.getByTestId("field-error").textContent(), WAIT)
        .toContain("must be a number");
      expect((await api<{ data: { price: number } }>("/api/nodes/AAPL")).body.data.price).not.toBe(987.65);

      await price.fill("987.65");
      await price.press("Enter");
      await expect.poll(() => page.getByTestId("save-notice").textContent(), WAIT).toContain("Saved");
      expect((await api<{ data: { price: number } }>("/api/nodes/AAPL")).body.data.price).toBe(987.65);

      await page.reload();
      await expect.poll(() => page.getByTestId("node-title").textContent(), WAIT).toBe("AAPL");
      await expect.poll(() => page.getByTestId("field-price").inputValue(), WAIT).toBe("987.65");
      // Escape closes the panel.
      await page.locator("body").press("Escape");
      await page.getByTestId("node-panel").waitFor({ state: "detached", ...WAIT });
    });

    it("runs a workflow and shows it in the history", async () => {
      // Both targets serve the workflow routes (SPEC section 5). The view's "not available"
      // notice, for a server without them, must not pass for a run here.
      const listed = await api<{ name: string }[]>("/api/workflows");
      expect(listed.status).toBe(200);
      await page.getByRole("tab", { name: "Workflows" }).click();
      const workflow = listed.body[0]?.name;
      expect(workflow).toBeDefined();
      const before = await api<unknown[]>(`/api/workflows/history?workflow=${workflow}`);
      await page.getByTestId(`run-${workflow}`).click();
      const status = page.locator(`[data-workflow="${workflow}"] [data-testid="run-status"]`);
      await status.waitFor(WAIT);
      await expect.poll(() => status.textContent(), { timeout: 60_000 }).not.toContain("running");
      await expect
        .poll(() => page.getByTestId("workflow-history").locator("li", { hasText: workflow! }).count(), WAIT)
        .toBeGreaterThan(0);
      const after = await api<unknown[]>(`/api/workflows/history?workflow=${workflow}`);
      expect(after.body.length).toBe(before.body.length + 1);
    });

    it("creates a backup, lists it, and restores it only after confirmation", async () => {
      await page.getByRole("tab", { name: "Operations" }).click();
      await expect.poll(() => page.getByTestId("integrity-status").textContent(), WAIT).toContain("healthy");
      await page.getByTestId("create-backup").click();
      const notice = page.getByTestId("backups").getByRole("status");
      await expect.poll(() => notice.textContent(), WAIT).toMatch(/Created backup \d{8}_\d{6}/);
      const id = /(\d{8}_\d{6}(?:-\d+)?)/.exec((await notice.textContent()) ?? "")![1]!;
      const row = page.getByTestId("backups-list").locator("li", { hasText: id });
      await row.waitFor(WAIT);
      expect((await api<{ id: string }[]>("/api/backups")).body.map((b) => b.id)).toContain(id);

      // Escape cancels: nothing is restored.
      const seq = (await api<{ graph: { seq: number } }>("/health")).body.graph.seq;
      await row.getByRole("button", { name: "Restore" }).click();
      const dialog = page.getByTestId("confirm-dialog");
      await dialog.getByText(`Restore backup ${id}?`).waitFor(WAIT);
      await page.keyboard.press("Escape");
      await expect.poll(() => dialog.isVisible(), WAIT).toBe(false);
      expect((await api<{ graph: { seq: number } }>("/health")).body.graph.seq).toBe(seq);

      // A node created through the API after the backup is gone once it is restored (so the
      // restore really happened), while the edit made before the backup survives it.
      const created = await api("/api/nodes/RESTORE_PROBE", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "indicator", data: { name: "Restore probe", value: 1 } }),
      });
      expect(created.status).toBe(201);
      await row.getByRole("button", { name: "Restore" }).click();
      await dialog.getByRole("button", { name: "Restore" }).click();
      await expect.poll(() => notice.textContent(), WAIT).toContain(`Restored backup ${id}`);
      expect((await api("/api/nodes/RESTORE_PROBE")).status).toBe(404);
      expect((await api<{ data: { price: number } }>("/api/nodes/AAPL")).body.data.price).toBe(987.65);
    });

    it("cannot be framed by another site, so its buttons cannot be clickjacked", async () => {
      // Another origin's page (a loopback server on another port: Chromium would block a
      // public origin from framing loopback anyway) frames the dashboard. The dashboard
      // answers, but the browser must refuse to show it there (X-Frame-Options: SAMEORIGIN) —
      // or a restore button could be clicked through a decoy.
      const dashboard = running().baseUrl;
      const framing = await serveOnLoopback(
        `<!doctype html><iframe src="${dashboard}" width="800" height="600"></iframe>`,
      );
      const tab = await browser!.newPage();
      try {
        const answered = tab.waitForResponse((response) => response.url() === dashboard);
        await tab.goto(framing.url, { waitUntil: "load" });
        expect((await answered).status()).toBe(200);
        const frame = tab.frames().find((f) => f !== tab.mainFrame());
        expect(frame).toBeDefined();
        // index.html holds <div id="app"> itself: a frame that rendered the answer has it.
        const rendered = await frame!
          .evaluate(() => document.getElementById("app") !== null)
          .catch(() => false);
        expect(rendered).toBe(false);
      } finally {
        await tab.close();
        await framing.close();
      }
    });

    it("shows a graph over the full-graph limit as neighbourhoods, and never downloads it whole", async () => {
      // The seed graph (57 nodes) over a limit of 10 stands in for a 100k-node graph over 5,000.
      const limit = 10;
      const total = (await api<{ total_nodes: number }>("/api/graph/stats")).body.total_nodes;
      expect(total).toBeGreaterThan(limit);
      const neighbours = async (id: string) =>
        (
          await api<{ nodes: { id: string }[] }>(
            `/api/nodes/${encodeURIComponent(id)}/neighbors?direction=both&depth=1`,
          )
        ).body.nodes.map((n) => n.id);
      const asked: string[] = [];
      const onRequest = (request: Request) => {
        const { pathname } = new URL(request.url());
        if (pathname.startsWith("/api/")) asked.push(pathname);
      };
      page.on("request", onRequest);
      try {
        await page.goto(new URL(`?full_graph_limit=${limit}#/graph`, running().baseUrl).href);
        const view = page.locator('[data-view="neighbourhood"]');
        await view.waitFor(WAIT);
        const note = page.getByTestId("neighbourhood-note");
        await expect
          .poll(() => note.textContent(), WAIT)
          .toBe(`Showing 0 of ${total} nodes — search for a node to start.`);
        expect(await page.getByTestId("node-count").textContent()).toContain(`${total} nodes`);
        // Nothing to draw yet: a hint, and no WebGL canvas.
        await page.getByTestId("graph-empty").waitFor(WAIT);
        expect(await page.getByTestId("graph-canvas").count()).toBe(0);

        // Search and choose: the node and its neighbours, and the note says how many of all.
        const search = page.getByTestId("search-input");
        await search.fill("apple");
        await page.getByTestId("search-results").getByRole("option", { name: /AAPL/ }).waitFor(WAIT);
        await search.press("Enter");
        await expect.poll(() => page.getByTestId("node-title").textContent(), WAIT).toBe("AAPL");
        const first = await neighbours("AAPL");
        const shown = new Set(["AAPL", ...first]);
        await expect.poll(() => view.getAttribute("data-shown"), WAIT).toBe(String(shown.size));
        await expect
          .poll(() => note.textContent(), WAIT)
          .toBe(`Showing ${shown.size} of ${total} nodes — search or expand.`);
        await expect
          .poll(() => page.getByTestId("neighbourhood-selected").textContent(), WAIT)
          .toContain(`all ${first.length} neighbours are shown`);

        // Expand: opening a neighbour (here from the node panel's list) adds its neighbours.
        const counted = await Promise.all(first.map(async (id) => ({ id, next: await neighbours(id) })));
        const { id: next, next: second } = counted.reduce((a, b) =>
          b.next.filter((n) => !shown.has(n)).length > a.next.filter((n) => !shown.has(n)).length ? b : a,
        );
        expect(second.some((n) => !shown.has(n))).toBe(true);
        await page.getByTestId("neighbours").getByRole("button", { name: next, exact: true }).click();
        await expect.poll(() => page.getByTestId("node-title").textContent(), WAIT).toBe(next);
        for (const id of second) shown.add(id);
        await expect.poll(() => view.getAttribute("data-shown"), WAIT).toBe(String(shown.size));
        await expect
          .poll(() => note.textContent(), WAIT)
          .toBe(`Showing ${shown.size} of ${total} nodes — search or expand.`);
        // Drawn: once the layout has settled, the canvas shows the nodes.
        await page.getByTestId("layout-toggle").filter({ hasText: "Run layout" }).waitFor(WAIT);
        expect(await inkRatio(page, page.getByTestId("graph-canvas"))).toBeGreaterThan(0.005);
        const slug = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-neighbourhood-${slug}.png`) });

        // The address opens a node with its neighbours too; the cap and the batch hold the view
        // back and say so; "show more" adds the next batch until the view is full.
        const hub = "ECONOMIC_REGIME";
        const hubDegree = (await neighbours(hub)).length;
        expect(hubDegree).toBeGreaterThan(3);
        await page.goto(
          new URL(
            `?full_graph_limit=${limit}&neighbourhood_cap=4&neighbourhood_batch=2#/graph/${hub}`,
            running().baseUrl,
          ).href,
        );
        await expect.poll(() => view.getAttribute("data-shown"), WAIT).toBe("3");
        const selectedNote = page.getByTestId("neighbourhood-selected");
        await expect
          .poll(() => selectedNote.textContent(), WAIT)
          .toContain(`2 of its ${hubDegree} neighbours shown`);
        await selectedNote.getByRole("button", { name: "Show 1 more" }).click();
        await expect.poll(() => view.getAttribute("data-shown"), WAIT).toBe("4");
        await page.getByTestId("neighbourhood-full").waitFor(WAIT);
        expect(await page.getByTestId("expand-more").isDisabled()).toBe(true);
        expect(await note.textContent()).toBe(`Showing 4 of ${total} nodes — search or expand.`);

        await page.getByTestId("clear-view").click();
        await expect
          .poll(() => note.textContent(), WAIT)
          .toBe(`Showing 0 of ${total} nodes — search for a node to start.`);
        expect(new URL(page.url()).hash).toBe("#/graph");

        // The data view reads a page of nodes instead of the whole document.
        await page.getByRole("tab", { name: "Data" }).click();
        await expect
          .poll(() => page.getByTestId("data-sample-note").textContent(), WAIT)
          .toContain(`This graph has ${total} nodes: the rows below come from the first ${total} of them.`);
        await page.getByTestId("indicators").waitFor(WAIT);

        // The whole document was never asked for; what was asked for is the statistics and the
        // neighbourhoods.
        expect(asked).not.toContain("/api/graph");
        expect(asked).toContain("/api/graph/stats");
        expect(asked).toContain(`/api/nodes/${hub}/neighbors`);
        expect(asked).toContain("/api/nodes");
      } finally {
        page.off("request", onRequest);
      }
      // Within the limit (the default) the same graph is drawn whole again.
      await page.goto(running().baseUrl);
      await page
        .locator('[data-view="full"] [data-testid="graph-canvas"][data-rendered="true"]')
        .waitFor(WAIT);
    });

    it("asked nothing of any other origin and threw no page errors", () => {
      expect(external).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  });

  return {
    browser: () => {
      if (!browser) throw new Error("Chromium did not start");
      return browser;
    },
    target: running,
  };
}
