import { GraphStore, MemoryStorage, SessionStore } from "@dawsos/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { hostnameOf, isLoopbackHostname } from "./host-allow-list.ts";

/**
 * The no-token browser protections (host-allow-list.ts, same-origin-writes.ts) in process, over
 * `createApp`. tests/http/cross-site.test.ts checks the same against the real Node server.
 */
let app: ReturnType<typeof createApp>;
let store: GraphStore;

beforeEach(async () => {
  const storage = new MemoryStorage();
  store = await GraphStore.open(storage, { seed: { version: 2, nodes: {}, edges: [], patterns: {} } });
  app = createApp({
    store,
    sessions: new SessionStore(storage),
    storageKind: "memory",
    version: "test",
    corsOrigins: ["https://app.example"],
    noTokenProtection: { allowedHosts: ["Dawsos.LAN", "10.0.0.7"] },
  });
});

/** A request as the Node server hands it over: the URL's host is the Host header. */
function send(method: string, path: string, host: string, headers: Record<string, string> = {}) {
  return app.request(`http://${host}${path}`, { method, headers: { host, ...headers } });
}

async function expectForbidden(response: Response): Promise<void> {
  expect(response.status).toBe(403);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("forbidden");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("Host allow-list", () => {
  it("serves loopback names (any port, any case) and the configured hosts", async () => {
    const hosts = [
      "localhost",
      "localhost:8787",
      "LOCALHOST:8787",
      "127.0.0.1:8787",
      "127.0.0.2",
      "[::1]:8787",
      "dawsos.lan:8080",
      "DAWSOS.lan",
      "10.0.0.7:8787",
    ];
    for (const host of hosts) {
      expect((await send("GET", "/api/graph/stats", host)).status, host).toBe(200);
    }
  });

  it("answers 403 forbidden to any other Host, on /api, /health and unknown paths alike", async () => {
    const hosts = [
      "evil.example",
      "evil.example:8787",
      "localhost.evil.example",
      "127.0.0.1.evil.example",
      "sub.dawsos.lan",
      "10.0.0.8",
      "[::2]",
      "localhost.",
    ];
    for (const host of hosts) {
      for (const path of ["/api/graph", "/health", "/openapi.json", "/index.html"]) {
        await expectForbidden(await send("GET", path, host));
      }
    }
  });

  it("checks the Host header even when the request URL names a loopback host", async () => {
    const response = await app.request("http://127.0.0.1:8787/api/graph", {
      headers: { host: "evil.example:8787" },
    });
    await expectForbidden(response);
  });

  it("hostnameOf refuses what is not a plain host[:port]; isLoopbackHostname only loopback names", () => {
    for (const bad of ["", "evil.example@localhost", "localhost/x", "local host", "localhost:8787:1"]) {
      expect(hostnameOf(bad), bad).toBeNull();
    }
    expect(hostnameOf("127.1:80")).toBe("127.0.0.1");
    expect(isLoopbackHostname("127.255.0.1")).toBe(true);
    expect(isLoopbackHostname("128.0.0.1")).toBe(false);
    expect(isLoopbackHostname("localhost.example")).toBe(false);
  });
});

describe("state-changing requests from other origins", () => {
  const HOST = "127.0.0.1:8787";

  it("refuses a foreign, null or other-port Origin and a cross-site or same-site Sec-Fetch-Site", async () => {
    const refused: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "http://127.0.0.1:9999" },
      { origin: "https://127.0.0.1:8787" },
      { origin: "not a url" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: `http://${HOST}`, "sec-fetch-site": "cross-site" },
    ];
    const before = store.graph.seq;
    for (const headers of refused) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        await expectForbidden(await send(method, "/api/nodes/X", HOST, headers));
      }
    }
    // Nothing reached a handler (a PUT would have created X).
    expect(store.graph.seq).toBe(before);
    expect(store.graph.getNode("X")).toBeUndefined();
  });

  it("accepts its own origin, a CORS-listed origin, and requests without browser headers", async () => {
    const accepted: Array<Record<string, string>> = [
      {},
      { origin: `http://${HOST}` },
      { origin: `http://${HOST}`, "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none" },
      { origin: "https://app.example", "sec-fetch-site": "cross-site" },
    ];
    for (const headers of accepted) {
      const response = await send("POST", "/api/graph/save", HOST, headers);
      expect(response.status, JSON.stringify(headers)).toBe(201);
    }
    const localhost = await send("POST", "/api/graph/save", "localhost:8787", {
      origin: "http://localhost:8787",
      "sec-fetch-site": "same-origin",
    });
    expect(localhost.status).toBe(201);
  });

  it("leaves reads alone: a cross-site GET cannot read the answer without CORS anyway", async () => {
    const response = await send("GET", "/api/graph/stats", HOST, {
      origin: "https://evil.example",
      "sec-fetch-site": "cross-site",
    });
    expect(response.status).toBe(200);
  });
});

describe("without noTokenProtection (a server with a token)", () => {
  it("neither Host nor Origin is checked: the token is what protects", async () => {
    const storage = new MemoryStorage();
    const tokenApp = createApp({
      store: await GraphStore.open(storage),
      sessions: new SessionStore(storage),
      storageKind: "memory",
      version: "test",
      token: "secret-token-0123456789",
    });
    const headers = { host: "evil.example", origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    expect(
      (await tokenApp.request("http://evil.example/api/graph/save", { method: "POST", headers })).status,
    ).toBe(401);
    const authorised = await tokenApp.request("http://evil.example/api/graph/save", {
      method: "POST",
      headers: { ...headers, authorization: "Bearer secret-token-0123456789" },
    });
    expect(authorised.status).toBe(201);
  });
});
