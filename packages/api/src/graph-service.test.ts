import { BucketGraphStore, MemoryStorage, SessionStore } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";

const SEED = {
  version: 2,
  nodes: { GDP: { type: "indicator", data: { value: 2.5 } } },
  edges: [],
  patterns: {},
};

/** Two apps over one storage, as two Worker isolates over one R2 bucket. */
async function twoIsolates() {
  const storage = new MemoryStorage();
  const make = async () => {
    const store = await BucketGraphStore.open(storage, { seed: SEED });
    let refreshes = 0;
    const refresh = store.refresh.bind(store);
    store.refresh = () => {
      refreshes++;
      return refresh();
    };
    const app = createApp({
      store,
      sessions: new SessionStore(storage),
      storageKind: "r2",
      version: "test",
      token: "secret-token",
      requireToken: true,
    });
    return { app, store, refreshes: () => refreshes };
  };
  return [await make(), await make()] as const;
}

const auth = { authorization: "Bearer secret-token" };

describe("createApp over a GraphService shared with other writers", () => {
  it("refreshes the graph once per request before reading it (not for refused requests)", async () => {
    const [a, b] = await twoIsolates();
    const put = await a.app.request("/api/nodes/NEW", {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ type: "t", data: {} }),
    });
    expect(put.status).toBe(201);
    const before = b.refreshes();
    expect((await b.app.request("/api/nodes/NEW", { headers: auth })).status).toBe(200);
    expect((await b.app.request("/health")).status).toBe(200);
    expect(await (await b.app.request("/health")).json()).toMatchObject({ graph: { nodes: 2, seq: 1 } });
    expect(b.refreshes()).toBe(before + 3);
    expect((await b.app.request("/api/nodes/NEW")).status).toBe(401);
    expect(b.refreshes()).toBe(before + 3);
  });

  it("judges If-Match against the graph as other writers left it: a record changed elsewhere is 412", async () => {
    const [a, b] = await twoIsolates();
    const read = await b.app.request("/api/nodes/GDP", { headers: auth });
    const etag = read.headers.get("etag")!;
    await a.store.patchNode("GDP", { value: 3 });
    const stale = await b.app.request("/api/nodes/GDP", {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json", "if-match": etag },
      body: JSON.stringify({ data: { value: 4 } }),
    });
    expect(stale.status).toBe(412);
    expect(b.store.graph.getNode("GDP")!.data.value).toBe(3);
  });
});
