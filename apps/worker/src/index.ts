import type { WorkerEnv } from "./env.ts";
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

/** The part of the Workers `ExecutionContext` the Cron Trigger uses. */
interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
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
