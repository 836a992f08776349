import { createGateway } from "@dawsos/api";
import { serveDashboard } from "./dashboard-assets.ts";
import type { DurableObjectStubLike, WorkerEnv } from "./env.ts";

export { GraphObject } from "./graph-object.ts";

/** The `GraphObject` holding the graph this Worker serves (`GRAPH_NAME`, default `"default"`). */
export function graphObject(env: WorkerEnv): DurableObjectStubLike {
  const namespace = env.GRAPH_OBJECT;
  return namespace.get(namespace.idFromName(env.GRAPH_NAME || "default"));
}

/** One gateway per isolate and environment (it holds no state beyond its configuration). */
const gateways = new WeakMap<WorkerEnv, ReturnType<typeof createGateway>>();

function gatewayFor(env: WorkerEnv): ReturnType<typeof createGateway> {
  let gateway = gateways.get(env);
  if (!gateway) {
    gateway = createGateway({
      token: env.API_TOKEN || undefined,
      requireToken: true,
      forward: (request) => graphObject(env).fetch(request),
    });
    gateways.set(env, gateway);
  }
  return gateway;
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
  /**
   * Every request reaches the Worker first (`run_worker_first: true`). Other GETs are the
   * dashboard, from the static assets (a client-side route gets index.html, a missing file
   * the JSON 404: `serveDashboard`). Everything under /api, /health and every write goes
   * through the gateway — auth and body limits here, so a refused request never reaches the
   * object — and on to the `GraphObject`, which answers with the same app as the Node server.
   */
  async fetch(request: Request, env: WorkerEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    const read = request.method === "GET" || request.method === "HEAD";
    if (env.ASSETS && read && !isApiPath(pathname)) return serveDashboard(request, env.ASSETS);
    return gatewayFor(env).fetch(request);
  },
  /**
   * Cron Trigger (`triggers.crons` in wrangler.jsonc): runs `morning_briefing` in the object,
   * through its HTTP route (the run writes through the object and lands in its history).
   */
  async scheduled(_event: unknown, env: WorkerEnv, ctx: WaitUntil): Promise<void> {
    ctx.waitUntil(runScheduledBriefing(env));
  },
};

async function runScheduledBriefing(env: WorkerEnv): Promise<void> {
  const response = await graphObject(env).fetch(
    new Request("https://graph-object/api/workflows/morning_briefing/run", {
      method: "POST",
      headers: { authorization: `Bearer ${env.API_TOKEN ?? ""}` },
    }),
  );
  const run = (await response.json()) as { status?: string; error?: unknown };
  console.log(JSON.stringify({ event: "cron_morning_briefing", http: response.status, status: run.status }));
  if (!response.ok) throw new Error(`morning_briefing: HTTP ${response.status}`);
}
