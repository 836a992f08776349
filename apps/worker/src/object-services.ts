import { createApp } from "@dawsos/api";
import { MarketData, registerBuiltinWorkflows, WorkflowEngine } from "@dawsos/core";
import {
  SqliteGraphStore,
  type SqliteGraphStoreOptions,
  SqlSessionStore,
  SqlWorkflowHistory,
} from "@dawsos/core/sqlite-store";
import { KvStorage, R2Storage } from "@dawsos/storage-kv";
import { migrateFromBucket } from "./bucket-migration.ts";
import { ChangeSockets } from "./change-sockets.ts";
import type { DurableObjectStateLike, WorkerEnv } from "./env.ts";
import { type FeedConfig, readFeedConfig } from "./feed-config.ts";

/** Service version reported by `/health`. */
export const VERSION = "0.1.0";

/** The Hono app the object serves. */
export type ObjectApp = ReturnType<typeof createApp>;

/** Everything one `GraphObject` serves, over its own SQLite database. */
export interface ObjectServices {
  store: SqliteGraphStore;
  history: SqlWorkflowHistory;
  sessions: SqlSessionStore;
  workflows: WorkflowEngine;
  app: ObjectApp;
  /** `GET /api/changes` over hibernatable WebSockets. */
  sockets: ChangeSockets;
}

/**
 * Test and operator options of an object's store (the archive is always R2) and of its change
 * feed; each one given here wins over the environment's (`feed-config.ts`).
 */
export type ObjectStoreOptions = Partial<Omit<SqliteGraphStoreOptions, "archive">> &
  Pick<FeedConfig, "tokenLabel" | "feedLimits">;

/** Where an object's versions and backups live in the bucket. */
export function archivePrefix(state: DurableObjectStateLike): string {
  return `graph-object/${state.id.toString()}/`;
}

/**
 * The object's composition root: the graph (`SqliteGraphStore` over `ctx.storage`, versions and
 * backups in R2, its change feed in the same database), the workflow history and the sessions
 * in the same database too, market data read through the KV cache, the built-in workflows, and
 * the whole HTTP API (`createApp`, change feed routes included) over them.
 * The Worker in front checks auth and limits too, then forwards here (`stub.fetch`): one HTTP
 * contract, answered by the same app as on Node.
 */
export async function createObjectServices(
  state: DurableObjectStateLike,
  env: WorkerEnv,
  objectOptions: ObjectStoreOptions = {},
  open: { migrateFromR2?: boolean } = {},
): Promise<ObjectServices> {
  const config = readFeedConfig(env);
  const { tokenLabel = config.tokenLabel, feedLimits, ...storeOptions } = objectOptions;
  let sockets: ChangeSockets | undefined;
  const options: ObjectStoreOptions = {
    changeRetention: config.changeRetention,
    ...storeOptions,
    onEvent: (event) => {
      storeOptions.onEvent?.(event);
      // After the transaction: what the sockets are sent is committed.
      if (event.type === "committed" || event.type === "imported") sockets?.broadcast();
    },
  };
  const archive = new R2Storage(env.GRAPH_BUCKET, { prefix: archivePrefix(state) });
  const history = new SqlWorkflowHistory(state.storage);
  const sessions = new SqlSessionStore(state.storage);
  const store = open.migrateFromR2
    ? // New tables: the graph, history and sessions the Worker kept in R2 before the object
      // existed come over once (the bucket's root, where it wrote with no prefix).
      (
        await migrateFromBucket({
          bucket: new R2Storage(env.GRAPH_BUCKET),
          db: state.storage,
          store: { archive, ...options },
          history,
          sessions,
        })
      ).store
    : await SqliteGraphStore.open(state.storage, { archive, ...options });
  const market = MarketData.create({
    fredApiKey: env.FRED_API_KEY || undefined,
    fredBaseUrl: env.FRED_BASE_URL || undefined,
    fmpApiKey: env.FMP_API_KEY || undefined,
    fmpBaseUrl: env.FMP_BASE_URL || undefined,
    storage: new KvStorage(env.CACHE_KV),
  });
  const workflows = registerBuiltinWorkflows(new WorkflowEngine({ history }), { store, market });
  const limits = { ...config.feedLimits, ...feedLimits };
  const app = createApp({
    store,
    sessions,
    history,
    market,
    workflows,
    storageKind: "durable-object",
    version: VERSION,
    token: env.API_TOKEN || undefined,
    tokenLabel,
    requireToken: true,
    changes: store.changes,
    feedLimits: limits,
  });
  sockets = new ChangeSockets(state, store, app, limits.maxSubscribers ?? 100);
  return { store, history, sessions, workflows, app, sockets };
}
