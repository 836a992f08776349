import type { WorkerEnv } from "./env.ts";
import { createWorkerApp, type WorkerApp } from "./worker-app.ts";

/**
 * One app per isolate and environment: the parsed graph stays in isolate memory between
 * requests and is revalidated against R2's head object on each one. A failed start is not
 * cached, so the next request tries again.
 */
const apps = new WeakMap<WorkerEnv, Promise<WorkerApp>>();

function appFor(env: WorkerEnv): Promise<WorkerApp> {
  let app = apps.get(env);
  if (!app) {
    app = createWorkerApp(env);
    apps.set(env, app);
    app.catch(() => apps.delete(env));
  }
  return app;
}

export default {
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    return (await appFor(env)).fetch(request);
  },
};
