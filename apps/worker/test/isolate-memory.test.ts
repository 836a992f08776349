import { env } from "cloudflare:workers";
import { HEAD_KEY, JOURNAL_PREFIX, SNAPSHOTS_PREFIX } from "@dawsos/core/bucket-store";
import { expect, it } from "vitest";
import type { WorkerEnv } from "../src/env.ts";
import worker from "../src/index.ts";
import { CountingBucket, call, newIsolate, TOKEN, uniquePrefix } from "./support.ts";

const get = (path: string) =>
  new Request(`http://worker.test${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

it("N reads of an unchanged graph through the Worker cause one full read of the graph, not N", async () => {
  // A bucket another isolate already initialised; then the Worker's own entry point, as workerd
  // calls it (one env per isolate).
  const prefix = uniquePrefix("reads");
  await newIsolate(prefix);
  const bucket = new CountingBucket(env.GRAPH_BUCKET, prefix);
  const isolateEnv: WorkerEnv = { ...env, GRAPH_BUCKET: bucket };
  const N = 40;
  for (let i = 0; i < N; i++) {
    const path = ["/api/graph/stats", "/api/nodes?limit=5", "/health", "/api/graph"][i % 4]!;
    const response = await worker.fetch(get(path), isolateEnv);
    expect(response.status, path).toBe(200);
    await response.arrayBuffer();
  }
  // One snapshot read in all (the first request's: the parsed graph stays in isolate memory),
  // and one small head read per request (plus the one opening the store).
  expect(bucket.readsOf(SNAPSHOTS_PREFIX)).toBe(1);
  expect(bucket.gets.get(HEAD_KEY)).toBe(N + 1);
  expect(bucket.readsOf(JOURNAL_PREFIX)).toBe(0);
});

it("a graph another isolate changed is caught up by reading just the new journal object", async () => {
  const prefix = uniquePrefix("catchup");
  const writer = await newIsolate(prefix);
  const bucket = new CountingBucket(env.GRAPH_BUCKET, prefix);
  const reader = await newIsolate("", { bucket });
  const fullReads = bucket.readsOf(SNAPSHOTS_PREFIX);
  expect(fullReads).toBe(1);
  for (let i = 0; i < 10; i++) expect((await call(reader, "GET", "/api/nodes/GDP")).status).toBe(200);
  expect((await call(writer, "PATCH", "/api/nodes/GDP", { data: { value: 3.1 } })).status).toBe(200);
  const read = await call(reader, "GET", "/api/nodes/GDP");
  expect((read.json as { data: { value: number } }).data.value).toBe(3.1);
  expect(bucket.readsOf(SNAPSHOTS_PREFIX)).toBe(fullReads);
  expect(bucket.readsOf(JOURNAL_PREFIX)).toBe(1);
});
