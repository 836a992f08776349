import { env } from "cloudflare:workers";
import type { BucketGraphStoreOptions, SessionStoreOptions } from "@dawsos/core";
import type { R2BucketLike, R2ListOptionsLike, R2ObjectsLike, R2PutOptionsLike } from "@dawsos/storage-kv";
import type { WorkerEnv } from "../src/env.ts";
import { createWorkerApp, type WorkerApp } from "../src/worker-app.ts";

/** The token the pool's Worker is configured with (vitest.config.ts). */
export const TOKEN = env.API_TOKEN!;

/** A fresh key prefix per use: tests sharing the pool's bucket never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${crypto.randomUUID().slice(0, 8)}/`;
}

/** A small seed so each simulated isolate opens quickly. */
export const SMALL_SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    SHARED: { type: "test", data: { base: true } },
  },
  edges: [],
  patterns: {},
};

/** A new app over the shared bucket, as a new isolate would build it. */
export function newIsolate(
  prefix: string,
  options: { bucket?: R2BucketLike; store?: BucketGraphStoreOptions; sessions?: SessionStoreOptions } = {},
): Promise<WorkerApp> {
  const isolateEnv: WorkerEnv = { ...env, GRAPH_BUCKET: options.bucket ?? env.GRAPH_BUCKET };
  return createWorkerApp(isolateEnv, {
    prefix,
    store: { seed: SMALL_SEED, ...options.store },
    ...(options.sessions ? { sessions: options.sessions } : {}),
  }).then((s) => s.app);
}

/** One authenticated JSON request to an app, answered in-process. */
export async function call(
  app: WorkerApp,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await app.fetch(
    new Request(`http://worker.test${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const text = await response.text();
  return { status: response.status, json: text === "" ? null : JSON.parse(text) };
}

/** Counts the reads of each key on the way to a real bucket, under its own key prefix. */
export class CountingBucket implements R2BucketLike {
  readonly gets = new Map<string, number>();
  constructor(
    readonly inner: R2BucketLike,
    readonly prefix: string,
  ) {}
  head(key: string) {
    return this.inner.head(this.prefix + key);
  }
  get(key: string) {
    this.gets.set(key, (this.gets.get(key) ?? 0) + 1);
    return this.inner.get(this.prefix + key);
  }
  put(key: string, value: ArrayBuffer | ArrayBufferView | string, options?: R2PutOptionsLike) {
    return this.inner.put(this.prefix + key, value, options);
  }
  delete(keys: string | string[]) {
    return this.inner.delete(Array.isArray(keys) ? keys.map((k) => this.prefix + k) : this.prefix + keys);
  }
  async list(options: R2ListOptionsLike = {}): Promise<R2ObjectsLike> {
    const page = await this.inner.list({ ...options, prefix: this.prefix + (options.prefix ?? "") });
    return { ...page, objects: page.objects.map((o) => ({ ...o, key: o.key.slice(this.prefix.length) })) };
  }
  /** Reads of keys starting with `prefix`. */
  readsOf(prefix: string): number {
    let n = 0;
    for (const [key, count] of this.gets) if (key.startsWith(prefix)) n += count;
    return n;
  }
}
