import type { SqlDatabase } from "@dawsos/core/sqlite-store";
import type { KvNamespaceLike, R2BucketLike } from "@dawsos/storage-kv";

/** What `GraphObject` uses of its `DurableObjectState` (structural, like the other bindings). */
export interface DurableObjectStateLike {
  readonly id: { toString(): string };
  /** `ctx.storage` on the SQLite backend: `sql.exec` and `transactionSync`. */
  readonly storage: SqlDatabase;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

export interface DurableObjectStubLike {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}

/**
 * The Worker's bindings (wrangler.jsonc, SPEC section 2). `API_TOKEN` and the provider keys
 * are secrets (`wrangler secret put`, or `wrangler dev --var API_TOKEN:<token>` locally).
 */
export interface WorkerEnv {
  GRAPH_BUCKET: R2BucketLike;
  CACHE_KV: KvNamespaceLike;
  /** `GraphObject` Durable Objects (SQLite backend): the graph engine of issue 12, not yet serving the API. */
  GRAPH_OBJECT?: DurableObjectNamespaceLike;
  API_TOKEN?: string;
  FRED_API_KEY?: string;
  FMP_API_KEY?: string;
  FRED_BASE_URL?: string;
  FMP_BASE_URL?: string;
  /** The dashboard's static assets (wrangler.jsonc `assets`); absent in unit tests. */
  ASSETS?: { fetch(request: Request): Promise<Response> };
}
