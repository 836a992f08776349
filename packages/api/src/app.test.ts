import { GraphStore, MemoryStorage, SessionStore } from "@dawsos/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";

const SEED = {
  version: 2,
  nodes: {
    GDP: { type: "indicator", data: { value: 2.5 } },
    SPY: { type: "index", data: { symbol: "SPY" } },
  },
  edges: [{ from: "GDP", to: "SPY", type: "drives", strength: 0.7 }],
  patterns: { p1: { type: "REGIME_SHIFT", trigger_conditions: ["GDP > 2"] } },
};

describe("createApp (in process)", () => {
  let app: ReturnType<typeof createApp>;
  const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: {
        authorization: "Bearer secret-token",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeEach(async () => {
    const storage = new MemoryStorage();
    const store = await GraphStore.open(storage, { seed: SEED });
    app = createApp({
      store,
      sessions: new SessionStore(storage),
      storageKind: "memory",
      version: "test",
      token: "secret-token",
    });
  });

  it("serves health without auth and refuses /api without the token", async () => {
    const health = await app.request("/health");
    expect(await health.json()).toMatchObject({
      status: "ok",
      storage: "memory",
      graph: { nodes: 2, edges: 1, patterns: 1 },
    });
    const denied = await app.request("/api/graph/stats");
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await denied.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect(
      (await app.request("/api/graph/stats", { headers: { authorization: "Bearer secret-tokeX" } })).status,
    ).toBe(401);
  });

  it("creates, reads with ETag, honours If-Match, patches and deletes nodes", async () => {
    const created = await json("PUT", "/api/nodes/AAPL", { type: "stock", data: { symbol: "AAPL" } });
    expect(created.status).toBe(201);
    const read = await json("GET", "/api/nodes/AAPL");
    const etag = read.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(
      (await json("PUT", "/api/nodes/AAPL", { type: "stock", data: {} }, { "if-match": '"stale"' })).status,
    ).toBe(412);
    expect(
      (await json("PUT", "/api/nodes/AAPL", { type: "stock", data: { price: 1 } }, { "if-match": etag }))
        .status,
    ).toBe(200);
    const patched = await json("PATCH", "/api/nodes/AAPL", { data: { pe: 30 } });
    expect(await patched.json()).toMatchObject({ data: { price: 1, pe: 30 } });
    expect((await json("DELETE", "/api/nodes/AAPL")).status).toBe(204);
    expect((await json("GET", "/api/nodes/AAPL")).status).toBe(404);
  });

  it("answers errors in the envelope: validation, media type, unknown route, method", async () => {
    const bad = await json("PUT", "/api/nodes/X", { data: {} });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "validation_error" } });
    const notJson = await app.request("/api/nodes/X", {
      method: "PUT",
      headers: { authorization: "Bearer secret-token", "content-type": "text/plain" },
      body: "hi",
    });
    expect(notJson.status).toBe(415);
    const malformed = await app.request("/api/nodes/X", {
      method: "PUT",
      headers: { authorization: "Bearer secret-token", "content-type": "application/json" },
      body: "{nope",
    });
    expect(malformed.status).toBe(400);
    expect((await json("GET", "/api/nope")).status).toBe(404);
    const wrongMethod = await json("POST", "/api/graph/stats", {});
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("streams the graph document with the seq as ETag", async () => {
    const res = await json("GET", "/api/graph");
    expect(res.headers.get("etag")).toBe('"0"');
    const doc = await res.json();
    expect(doc).toMatchObject({ version: 2, seq: 0, nodes: { GDP: { type: "indicator" } } });
    expect(doc.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("sets the security headers and a request id on successes and errors alike", async () => {
    for (const res of [
      await json("GET", "/api/graph/stats"),
      await json("GET", "/api/nodes/NOPE"),
      await app.request("/api/x"),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-request-id")).toMatch(/^[\w.-]+$/);
    }
  });

  it("publishes an OpenAPI 3.1 document", async () => {
    const doc = await (await app.request("/openapi.json")).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/api/nodes/{id}");
  });
});
