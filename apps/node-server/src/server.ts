#!/usr/bin/env node
import { createApp } from "@dawsos/api";
import { serve } from "@hono/node-server";
import { readConfig } from "./config.ts";
import { dashboardDir, mountDashboard } from "./dashboard-static.ts";
import { createDataServices } from "./data-services.ts";
import { openStore } from "./open-store.ts";
import { openSessions } from "./sessions.ts";
import { VERSION } from "./version.ts";

/** The Node server (SPEC section 2): composition root only — config, adapter, app, serve. */
async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    // `pnpm start` runs in the repo root; INIT_CWD is where the user ran it (SPEC: storage/ there).
    config = readConfig(process.env, process.env.INIT_CWD ?? process.cwd());
  } catch (err) {
    process.stderr.write(`dawsos: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const opened = await openStore(config.storageDir, {
    write: true,
    seedFile: config.seedFile,
    lockWaitMs: config.lockWaitMs,
    source: "api",
    changeRetention: config.changeRetention,
  });
  const data = createDataServices(config, opened);
  const sessions = await openSessions(opened.storage, config);
  const app = createApp({
    store: opened.store,
    sessions,
    history: data.history,
    market: data.market,
    workflows: data.workflows,
    storageKind: "fs",
    version: VERSION,
    token: config.token,
    tokenLabel: config.tokenLabel,
    changes: opened.store.changes,
    feedLimits: config.feed,
    corsOrigins: config.corsOrigins,
    // Without a token, the Host allow-list and the same-origin rule for writes are all that keep
    // web pages away (DNS rebinding, CSRF). With one, the token does: no browser sends it unasked.
    noTokenProtection: config.token ? undefined : { allowedHosts: config.allowedHosts },
    log: (entry) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`),
  });
  const dashboard = dashboardDir();
  if (dashboard) mountDashboard(app, dashboard);
  else process.stderr.write("dawsos: the dashboard is not built (pnpm build): / is not served\n");
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    process.stdout.write(
      `${JSON.stringify({ at: new Date().toISOString(), event: "listening", url: `http://${config.host}:${info.port}`, storage: config.storageDir, pid: process.pid })}\n`,
    );
  });

  let stopping = false;
  // server.close() only stops new connections: keep-alive clients could keep a draining server
  // busy until the hard deadline. Once stopping, every response closes its connection.
  server.prependListener("request", (_req, res) => {
    if (stopping) res.setHeader("Connection", "close");
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), event: "stopping", signal })}\n`);
    // Hard deadline: SPEC gives 10 s; leave margin.
    const deadline = setTimeout(() => process.exit(1), 9_000);
    deadline.unref();
    // Change streams never finish on their own: end them, or the server could not drain.
    opened.store.changes.closeSubscriptions();
    // Stop accepting; in-flight requests finish; then make everything durable and unlock.
    server.close(async () => {
      try {
        await data.stop();
        await opened.close();
        process.exit(0);
      } catch (err) {
        process.stderr.write(`dawsos: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`dawsos: cannot start: ${e.code ? `[${e.code}] ` : ""}${e.message ?? String(err)}\n`);
  process.exit(1);
});
