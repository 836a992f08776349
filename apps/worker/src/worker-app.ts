import { createApp } from "@dawsos/api";
import {
  BucketGraphStore,
  type BucketGraphStoreOptions,
  MarketData,
  registerBuiltinWorkflows,
  SessionStore,
  type SessionStoreOptions,
  WorkflowEngine,
  WorkflowHistory,
} from "@dawsos/core";
import { KvStorage, R2Storage } from "@dawsos/storage-kv";
import type { WorkerEnv } from "./env.ts";

/** The Hono app the Worker serves. */
export type WorkerApp = ReturnType<typeof createApp>;

/** Service version reported by `/health`. */
export const VERSION = "0.1.0";

export interface WorkerAppOptions {
  /** Key prefix inside the bucket (tests give each app family its own). Default: none. */
  prefix?: string;
  store?: BucketGraphStoreOptions;
  /** Session retention and caps (defaults: 1,000 sessions, 30 days idle, 1,000 messages). */
  sessions?: SessionStoreOptions;
}

/**
 * The composition root: R2 holds the graph (an `BucketGraphStore`, safe with many isolates
 * writing), sessions and workflow history; KV holds only the market-data cache entries.
 * `/api/*` requires `API_TOKEN` (503 `not_configured` without one).
 */
export interface WorkerServices {
  app: WorkerApp;
  /** The built-in workflows, for the Cron Trigger (`scheduled()`). */
  workflows: WorkflowEngine;
}

export async function createWorkerApp(
  env: WorkerEnv,
  options: WorkerAppOptions = {},
): Promise<WorkerServices> {
  const r2 = new R2Storage(env.GRAPH_BUCKET, { prefix: options.prefix ?? "" });
  const cache = new KvStorage(env.CACHE_KV);
  const store = await BucketGraphStore.open(r2, options.store);
  const history = new WorkflowHistory(r2);
  const market = MarketData.create({
    fredApiKey: env.FRED_API_KEY || undefined,
    fredBaseUrl: env.FRED_BASE_URL || undefined,
    fmpApiKey: env.FMP_API_KEY || undefined,
    fmpBaseUrl: env.FMP_BASE_URL || undefined,
    storage: cache,
  });
  const workflows = registerBuiltinWorkflows(new WorkflowEngine({ history }), { store, market });
  const app = createApp({
    store,
    // R2 has no append: each message rewrites the session object with compare-and-swap (and R2
    // takes about one write per second per key). Sessions move into the Durable Object later.
    sessions: new SessionStore(r2, options.sessions),
    history,
    market,
    workflows,
    storageKind: "r2",
    version: VERSION,
    token: env.API_TOKEN || undefined,
    requireToken: true,
  });
  return { app, workflows };
}
