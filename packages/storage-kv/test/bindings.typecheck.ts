/**
 * Compile-time proof that the real Workers bindings fit this package's structural types: if
 * Cloudflare's `R2Bucket` or `KVNamespace` changed shape, `pnpm typecheck` would fail here.
 * (Type-checked only; never run.)
 */
import type { KVNamespace, R2Bucket } from "@cloudflare/workers-types";
import type { KvNamespaceLike, R2BucketLike } from "../src/index.ts";

declare const r2: R2Bucket;
declare const kv: KVNamespace;
export const r2Fits: R2BucketLike = r2;
export const kvFits: KvNamespaceLike = kv;
