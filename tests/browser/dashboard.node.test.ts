import { afterAll, describe, expect, it } from "vitest";
import { DashboardServer, ensureBuilt } from "./support/dashboard-server.ts";
import { runDashboardSuite } from "./support/dashboard-suite.ts";
import { runLiveDashboardCases } from "./support/live-suite.ts";

/**
 * The dashboard in real Chromium against the real Node server (built by turbo, started on a free
 * loopback port over a temporary storage directory seeded with the investment framework, with
 * `DAWSOS_API_TOKEN`). The same suite runs against the Worker (dashboard.worker.test.ts).
 */
const suite = runDashboardSuite("node server", async () => {
  ensureBuilt();
  const token = "dashboard-test-token-0123456789";
  const server = await DashboardServer.start({ token });
  return { baseUrl: server.baseUrl, token, output: () => server.output, stop: () => server.stop() };
});

/** Issue 14: the Node server serves the change feed, so every live case runs here. */
runLiveDashboardCases("node server", suite);

/**
 * Node only: without `DAWSOS_API_TOKEN` (the default `pnpm start` on loopback) the Node server
 * guards the API by `Host` allow-list and same-origin writes instead. The Worker has no such
 * mode (it always requires a token), so this runs here only: the dashboard must load without
 * ever asking for a token, and its writes must pass the same-origin check.
 */
describe("dashboard on the node server without a token", () => {
  let open: DashboardServer | undefined;

  afterAll(async () => {
    await open?.stop();
  });

  it("never asks for a token, and saves an edit (a same-origin write)", async () => {
    open = await DashboardServer.start();
    const tab = await suite.browser().newPage({ viewport: { width: 1100, height: 700 } });
    try {
      await tab.goto(new URL("#/graph/AAPL", open.baseUrl).href);
      await expect.poll(() => tab.getByTestId("node-title").textContent(), { timeout: 30_000 }).toBe("AAPL");
      await tab.getByTestId("field-price").fill("123.45");
      await tab.getByTestId("save-data").click();
      await expect
        .poll(() => tab.getByTestId("save-notice").textContent(), { timeout: 30_000 })
        .toContain("Saved");
      const stored = await fetch(new URL("api/nodes/AAPL", open.baseUrl), {
        signal: AbortSignal.timeout(15_000),
      });
      expect(((await stored.json()) as { data: { price: number } }).data.price).toBe(123.45);
      expect(await tab.getByTestId("token-dialog").isVisible()).toBe(false);
      expect(await tab.evaluate(() => sessionStorage.getItem("dawsos.apiToken"))).toBeNull();
    } finally {
      await tab.close();
    }
  });
});
