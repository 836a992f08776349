import type { KvNamespaceLike, R2BucketLike } from "@dawsos/storage-kv";

/**
 * The Worker's bindings (wrangler.jsonc, SPEC section 2). `API_TOKEN` and the provider keys
 * are secrets (`wrangler secret put`, or `wrangler dev --var API_TOKEN:<token>` locally).
 */
export interface WorkerEnv {
  GRAPH_BUCKET: R2BucketLike;
  CACHE_KV: KvNamespaceLike;
  API_TOKEN?: string;
  FRED_API_KEY?: string;
  FMP_API_KEY?: string;
  FRED_BASE_URL?: string;
  FMP_BASE_URL?: string;
  /** The dashboard's static assets (wrangler.jsonc `assets`); absent in unit tests. */
  ASSETS?: { fetch(request: Request): Promise<Response> };
}
