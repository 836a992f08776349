import type { WorkerEnv } from "./env.ts";

export { GraphObject } from "./graph-object.ts";

import { createWorkerApp, type WorkerServices } from "./worker-app.ts";

/**
 * One app per isolate and environment: the parsed graph stays in isolate memory between
 * requests and is revalidated against R2's head object on each one. A failed start is not
 * cached, so the next request tries again.
 */
const apps = new WeakMap<WorkerEnv, Promise<WorkerServices>>();

function appFor(env: WorkerEnv): Promise<WorkerServices> {
  let app = apps.get(env);
  if (!app) {
    app = createWorkerApp(env);
    apps.set(env, app);
    app.catch(() => apps.delete(env));
  }
  return app;
}

function isApiPath(pathname: string): boolean {
  return (
    pathname === "/api" ||
    pathname.startsWith("/api/") ||
    pathname === "/health" ||
    pathname === "/openapi.json"
  );
}

/** The part of the Workers `ExecutionContext` the Cron Trigger uses. */
interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    // Every request reaches the Worker first (`run_worker_first: true`): the API decides about
    // anything under /api and every write (so odd or normalised paths still get its JSON
    // errors); other GETs are the dashboard, served from the static assets.
    const { pathname } = new URL(request.url);
    const read = request.method === "GET" || request.method === "HEAD";
    if (env.ASSETS && read && !isApiPath(pathname)) return env.ASSETS.fetch(request);
    return (await appFor(env)).app.fetch(request);
  },
  /**
   * Cron Trigger (`triggers.crons` in wrangler.jsonc): runs `morning_briefing`; the run is kept
   * alive with `ctx.waitUntil` and recorded in the workflow history like any other run.
   */
  async scheduled(_event: unknown, env: WorkerEnv, ctx: WaitUntil): Promise<void> {
    ctx.waitUntil((async () => (await appFor(env)).workflows.run("morning_briefing"))());
  },
};
