import { WranglerDev } from "../support/wrangler-dev.ts";
import { ensureBuilt } from "./support/dashboard-server.ts";
import { runDashboardSuite, withSlash } from "./support/dashboard-suite.ts";
import { runLiveDashboardCases } from "./support/live-suite.ts";

/**
 * The dashboard in real Chromium against the Cloudflare Worker: `wrangler dev` of apps/worker
 * (workerd, the dashboard's `dist/` as static assets, the API in the SQLite-backed `GraphObject`
 * Durable Object seeded with the investment framework, local R2 and KV) on a free loopback port,
 * started with `--var API_TOKEN:<token>` — the Worker always requires one. The same suite runs
 * against the Node server (dashboard.node.test.ts).
 */
const suite = runDashboardSuite("worker (wrangler dev)", async () => {
  // The Worker serves apps/dashboard/dist, built with the Node server (which depends on it).
  ensureBuilt();
  const worker = await WranglerDev.start();
  return {
    baseUrl: withSlash(worker.baseUrl),
    token: worker.token,
    output: () => worker.output(),
    stop: () => worker.dispose(),
  };
});

/** The same live cases as on Node: the Worker's GraphObject serves the change feed too. */
runLiveDashboardCases("worker (wrangler dev)", suite);
