import { env } from "cloudflare:workers";
import type { WorkerEnv } from "../src/env.ts";
import worker from "../src/index.ts";

/** The token the pool's Worker is configured with (vitest.config.ts). */
export const TOKEN = env.API_TOKEN!;

/** A fresh key prefix per use: tests sharing the pool's bucket never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${crypto.randomUUID().slice(0, 8)}/`;
}

/** The Worker's environment serving a graph of its own (a new `GraphObject`, fresh tables). */
export function freshGraphEnv(overrides: Partial<WorkerEnv> = {}): WorkerEnv {
  return { ...(env as WorkerEnv), GRAPH_NAME: `test-${crypto.randomUUID()}`, ...overrides };
}

/** One authenticated JSON request through the Worker's own entry point (gateway → object). */
export async function call(
  workerEnv: WorkerEnv,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, ...extraHeaders };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await worker.fetch(
    new Request(`http://worker.test${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    workerEnv,
  );
  const text = await response.text();
  return { status: response.status, json: text === "" ? null : JSON.parse(text), headers: response.headers };
}
