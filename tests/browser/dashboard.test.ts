import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inkRatio } from "./support/canvas-ink.ts";
import { launchChromium } from "./support/chromium.ts";
import { DashboardServer, ensureBuilt } from "./support/dashboard-server.ts";

/**
 * The dashboard in real Chromium against the real Node server (built by turbo, started on a free
 * loopback port over a temporary storage directory seeded with the investment framework).
 */
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "artifacts");
const WAIT = { timeout: 30_000 };

let server: DashboardServer | undefined;
let browser: Browser | undefined;
let page: Page;
const external: string[] = [];
const pageErrors: string[] = [];

async function api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, server!.baseUrl), {
    ...init,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

beforeAll(async () => {
  browser = await launchChromium();
  ensureBuilt();
  server = await DashboardServer.start();
  page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.setDefaultTimeout(30_000);
  const origin = new URL(server.baseUrl).origin;
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) external.push(url);
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("dashboard", () => {
  it("is served at / beside the API, which keeps its own answers", async () => {
    const get = (path: string) =>
      fetch(new URL(path, server!.baseUrl), { signal: AbortSignal.timeout(15_000) });
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect(await index.text()).toContain('<div id="app">');
    // Client-side routes get the page; unknown API paths and missing files keep the JSON 404.
    expect((await get("/patterns")).headers.get("content-type")).toContain("text/html");
    for (const path of ["/api/no-such-route", "/no-such-file.js"]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    expect((await api<{ status: string }>("/health")).body.status).toBe("ok");
    expect((await api<{ openapi: string }>("/openapi.json")).body.openapi).toBe("3.1.0");
  });

  it("renders the whole graph: a non-empty canvas and the node count", async () => {
    const health = await api<{ graph: { nodes: number; edges: number } }>("/health");
    await page.goto(server!.baseUrl);
    await page.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
    await expect
      .poll(() => page.getByTestId("node-count").textContent(), WAIT)
      .toContain(`${health.body.graph.nodes} nodes · ${health.body.graph.edges} edges`);
    // Filtering a type out says how many nodes are left.
    const stats = await api<{ total_nodes: number; node_types: Record<string, number> }>("/api/graph/stats");
    const stocks = page.getByTestId("type-filter").getByRole("checkbox", { name: /^stock/ });
    await stocks.uncheck();
    const shown = stats.body.total_nodes - stats.body.node_types.stock!;
    await expect.poll(() => page.getByTestId("node-count").textContent(), WAIT).toContain(`(${shown} shown)`);
    await stocks.check();
    // Let the bounded layout finish, then look at the pixels actually drawn.
    await page.getByTestId("layout-toggle").filter({ hasText: "Run layout" }).waitFor(WAIT);
    expect(await inkRatio(page, page.getByTestId("graph-canvas"))).toBeGreaterThan(0.005);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-main.png") });
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

  it("runs a workflow and shows it in the history, or says workflows are not available", async () => {
    const listed = await api<{ name: string }[]>("/api/workflows");
    await page.getByRole("tab", { name: "Workflows" }).click();
    if (listed.status !== 200) {
      // The workflow routes have not landed on this server: a clear notice, not an error.
      expect([404, 503]).toContain(listed.status);
      await expect
        .poll(() => page.getByTestId("unavailable").first().textContent(), WAIT)
        .toContain("not available");
      return;
    }
    const name = listed.body[0]?.name;
    expect(name).toBeDefined();
    const before = await api<unknown[]>(`/api/workflows/history?workflow=${name}`);
    await page.getByTestId(`run-${name}`).click();
    const status = page.locator(`[data-workflow="${name}"] [data-testid="run-status"]`);
    await status.waitFor(WAIT);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).not.toContain("running");
    await expect
      .poll(() => page.getByTestId("workflow-history").locator("li", { hasText: name! }).count(), WAIT)
      .toBeGreaterThan(0);
    const after = await api<unknown[]>(`/api/workflows/history?workflow=${name}`);
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

    await row.getByRole("button", { name: "Restore" }).click();
    await dialog.getByRole("button", { name: "Restore" }).click();
    await expect.poll(() => notice.textContent(), WAIT).toContain(`Restored backup ${id}`);
    // The edit made before the backup survives its restore.
    expect((await api<{ data: { price: number } }>("/api/nodes/AAPL")).body.data.price).toBe(987.65);
  });

  it("asked nothing of any other origin and threw no page errors", () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe("dashboard on a server with an API token", () => {
  const token = "dashboard-test-token-0123456789";
  let guarded: DashboardServer | undefined;

  afterAll(async () => {
    await guarded?.stop();
  });

  it("asks for the token on 401, keeps it for the tab, and then shows the graph", async () => {
    guarded = await DashboardServer.start({ token });
    const tab = await browser!.newPage({ viewport: { width: 1100, height: 700 } });
    try {
      await tab.goto(guarded.baseUrl);
      const dialog = tab.getByTestId("token-dialog");
      await dialog.getByLabel("Token").waitFor(WAIT);
      await dialog.getByLabel("Token").fill(token);
      await dialog.getByLabel("Token").press("Enter");
      await tab.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
      expect(await tab.evaluate(() => sessionStorage.getItem("dawsos.apiToken"))).toBe(token);
      await tab.reload();
      await tab.locator('[data-testid="graph-canvas"][data-rendered="true"]').waitFor(WAIT);
      expect(await tab.getByTestId("token-dialog").isVisible()).toBe(false);
    } finally {
      await tab.close();
    }
  });
});
