import { GraphStore, MemoryStorage, SessionStore } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";

const SEED = {
  version: 2,
  nodes: { GDP: { type: "indicator", data: { value: 2.5 } } },
  edges: [],
  patterns: {},
};

const auth = { authorization: "Bearer secret-token" };

describe("createApp and the store's refresh()", () => {
  it("refreshes the graph once per request before reading it (not for refused requests)", async () => {
    const storage = new MemoryStorage();
    const store = await GraphStore.open(storage, { seed: SEED });
    let refreshes = 0;
    const refresh = store.refresh.bind(store);
    store.refresh = () => {
      refreshes++;
      return refresh();
    };
    const app = createApp({
      store,
      sessions: new SessionStore(storage),
      storageKind: "memory",
      version: "test",
      token: "secret-token",
      requireToken: true,
    });
    const put = await app.request("/api/nodes/NEW", {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ type: "t", data: {} }),
    });
    expect(put.status).toBe(201);
    const before = refreshes;
    expect((await app.request("/api/nodes/NEW", { headers: auth })).status).toBe(200);
    expect((await app.request("/health")).status).toBe(200);
    expect(await (await app.request("/health")).json()).toMatchObject({ graph: { nodes: 2, seq: 1 } });
    expect(refreshes).toBe(before + 3);
    expect((await app.request("/api/nodes/NEW")).status).toBe(401);
    expect(refreshes).toBe(before + 3);
  });
});
