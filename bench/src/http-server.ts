/**
 * Child process of the `http` group (src/cases/http.ts): serves one side of the comparison on
 * 127.0.0.1, port 0, so the server has its own event loop (and, on 2 cores, its own core)
 * while autocannon loads it from the bench process.
 *
 * Driven over the IPC channel:
 *   parent → { type: "init", mode: "app", dir }            the real app over GraphStore + FsStorage
 *   parent → { type: "init", mode: "bare", ids, constant }  a bare Hono app over a Map
 *   child  → { type: "listening", port, openMs }
 *   parent → { type: "mark" }    child → { type: "marked" }  start of a measured window
 *   parent → { type: "since" }   child → { type: "since", cpuMs, elu }  CPU and event-loop
 *                                                            utilisation since the mark
 *   parent → { type: "stop" }    child → { type: "stopped" }, then exits (store closed, lock released)
 */
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { createApp } from "@dawsos/api";
import { GraphStore, SessionStore } from "@dawsos/core";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

export type InitMessage =
  | { type: "init"; mode: "app"; dir: string }
  | { type: "init"; mode: "bare"; ids: string[]; constant: unknown };
export type ParentMessage = InitMessage | { type: "mark" } | { type: "since" } | { type: "stop" };
export type ChildMessage =
  | { type: "listening"; port: number; openMs: number }
  | { type: "marked" }
  | { type: "since"; cpuMs: number; elu: number }
  | { type: "stopped" }
  | { type: "error"; message: string };

type Fetch = (request: Request) => Response | Promise<Response>;

const send = (message: ChildMessage) => process.send?.(message);

/** The bare peer: one GET returning a constant from a Map, one PUT storing the parsed body. */
function bareApp(ids: readonly string[], constant: unknown): Fetch {
  const map = new Map<string, unknown>();
  for (const id of ids) map.set(id, constant);
  const app = new Hono();
  app.get("/bare/:id", (c) => {
    const value = map.get(c.req.param("id"));
    return value === undefined ? c.json({ error: "not found" }, 404) : c.json(value as object, 200);
  });
  app.put("/bare/:id", async (c) => {
    const body = await c.req.json<object>();
    map.set(c.req.param("id"), body);
    return c.json(body, 200);
  });
  return app.fetch;
}

async function start(init: InitMessage): Promise<void> {
  const t0 = performance.now();
  let fetch: Fetch;
  let close: () => Promise<void> = async () => {};
  if (init.mode === "app") {
    const storage = await FsStorage.open(init.dir, { lock: true });
    const store = await GraphStore.open(storage, { hasher: nodeSha256 });
    const app = createApp({
      store,
      sessions: new SessionStore(storage),
      storageKind: "fs",
      version: "bench",
    });
    fetch = app.fetch;
    close = async () => {
      try {
        await store.close();
      } finally {
        await storage.close();
      }
    };
  } else {
    fetch = bareApp(init.ids, init.constant);
  }
  const openMs = performance.now() - t0;
  const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
    send({ type: "listening", port: info.port, openMs });
  });

  let cpuMark = process.cpuUsage();
  let eluMark = performance.eventLoopUtilization();
  process.on("message", (raw: ParentMessage) => {
    if (raw.type === "mark") {
      cpuMark = process.cpuUsage();
      eluMark = performance.eventLoopUtilization();
      send({ type: "marked" });
    } else if (raw.type === "since") {
      const cpu = process.cpuUsage(cpuMark);
      const elu = performance.eventLoopUtilization(eluMark);
      send({ type: "since", cpuMs: (cpu.user + cpu.system) / 1000, elu: elu.utilization });
    } else if (raw.type === "stop") {
      server.close(() => {
        close().then(
          () => {
            send({ type: "stopped" });
            process.disconnect?.();
            process.exit(0);
          },
          (err: unknown) => {
            send({ type: "error", message: err instanceof Error ? err.message : String(err) });
            process.exit(1);
          },
        );
      });
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    }
  });
}

process.once("message", (message: ParentMessage) => {
  if (message.type !== "init") {
    send({ type: "error", message: `expected init, got ${message.type}` });
    process.exit(1);
  }
  start(message).catch((err: unknown) => {
    send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  });
});
// The parent went away (killed bench): do not linger holding the storage lock.
process.on("disconnect", () => process.exit(0));
