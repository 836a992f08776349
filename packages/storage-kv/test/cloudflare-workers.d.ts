/**
 * The `cloudflare:workers` module as these tests use it inside workerd (provided by
 * @cloudflare/vitest-pool-workers, bindings from apps/worker/wrangler.jsonc). Declared with this
 * package's structural binding types plus the few raw R2/KV details the tests inspect.
 */
declare module "cloudflare:workers" {
  import type { KvNamespaceLike, R2BucketLike, R2ObjectLike } from "../src/index.ts";

  export const env: {
    GRAPH_BUCKET: R2BucketLike & {
      head(key: string): Promise<(R2ObjectLike & { checksums: { sha256?: ArrayBuffer } }) | null>;
    };
    CACHE_KV: KvNamespaceLike & {
      put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
    };
  };
}
