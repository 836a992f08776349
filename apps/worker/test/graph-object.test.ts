import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { ManualClock } from "@dawsos/core";
import { SqliteGraphStore } from "@dawsos/core/sqlite-store";
import { type ContractService, runGraphServiceContract } from "@dawsos/core/testing";
import { R2Storage } from "@dawsos/storage-kv";
import { describe, expect, it } from "vitest";
import type { DurableObjectStubLike } from "../src/env.ts";
import type { GraphObject } from "../src/graph-object.ts";
import { uniquePrefix } from "./support.ts";

const namespace = env.GRAPH_OBJECT!;

/** A new object (its own empty SQLite database). */
function newObject(): DurableObjectStubLike {
  return namespace.get(namespace.idFromName(crypto.randomUUID()));
}

/**
 * The store as a test sees it: every call runs inside the object through `runInDurableObject`
 * (its own request context, as a request would), never from the test's context. Results and
 * errors come back as they are (same isolate), so the contract can check error codes.
 */
function insideObject(stub: DurableObjectStubLike, store: SqliteGraphStore): ContractService {
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== "function") return value;
      if (key === "document") {
        // Streamed inside the object; handed over whole (tests compare the text).
        return () => {
          const chunks = runInDurableObject(stub, async () => {
            const out: string[] = [];
            for await (const chunk of target.document()) out.push(chunk);
            return out;
          });
          return (async function* () {
            yield* await chunks;
          })();
        };
      }
      return (...args: unknown[]) =>
        runInDurableObject(stub, () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as ContractService;
}

async function openIn(stub: DurableObjectStubLike, seed: unknown, clock: ManualClock, archive: R2Storage) {
  const store = await runInDurableObject(stub, (_object, state) =>
    SqliteGraphStore.open(state.storage, { seed, clock, archive }),
  );
  return insideObject(stub, store);
}

runGraphServiceContract("SqliteGraphStore in a GraphObject Durable Object (workerd, SQLite backend)", {
  async open(seed, clock) {
    const stub = newObject();
    const archive = new R2Storage(env.GRAPH_BUCKET, { prefix: uniquePrefix("graph-object") });
    return {
      service: await openIn(stub, seed, clock, archive),
      // A second store over the same object's database (what a restarted object opens).
      reopen: () => openIn(stub, seed, clock, archive),
    };
  },
});

describe("GraphObject", () => {
  it("opens its store over ctx.storage on first use, seeded once; the graph survives the instance", async () => {
    const stub = newObject();
    const seed = { nodes: { A: { type: "t", data: { v: 1 } } }, edges: [] };
    const seq = await runInDurableObject(stub, async (object: GraphObject) => {
      const store = await object.store({ seed });
      expect(await object.store()).toBe(store);
      await store.putNode("B", { type: "t" });
      return store.seq();
    });
    expect(seq).toBe(1);
    const counts = await runInDurableObject(stub, async (_object: GraphObject, state) => {
      // A fresh store over the same storage finds the tables (no second seeding).
      const again = await SqliteGraphStore.open(state.storage, {
        archive: new R2Storage(env.GRAPH_BUCKET, { prefix: uniquePrefix("graph-object") }),
        seed: { nodes: {}, edges: [] },
      });
      return again.counts();
    });
    expect(counts).toEqual({ nodes: 2, edges: 0, patterns: 0, seq: 1 });
  });

  it("a transaction that throws leaves nothing behind (transactionSync rolls back in workerd)", async () => {
    const stub = newObject();
    const result = await runInDurableObject(stub, async (object: GraphObject) => {
      const store = await object.store({ seed: { nodes: { A: { type: "t", data: {} } }, edges: [] } });
      const error = await store
        .applyBatch([
          { op: "put_node", id: "X", type: "t", data: {} },
          { op: "delete_node", id: "A" },
          { op: "add_edge", from: "X", to: "A", type: "t" },
        ])
        .catch((e: { code?: string; details?: unknown }) => e);
      return { error, counts: await store.counts(), a: await store.getNode("A") };
    });
    expect(result.error).toMatchObject({
      code: "validation_error",
      details: { index: 2, code: "unknown_node" },
    });
    expect(result.counts).toEqual({ nodes: 1, edges: 0, patterns: 0, seq: 0 });
    expect(result.a).toMatchObject({ id: "A" });
  });

  it("serves the HTTP API itself (createApp over its store): /health says durable-object", async () => {
    const response = await newObject().fetch(new Request("http://object/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", storage: "durable-object" });
  });
});
