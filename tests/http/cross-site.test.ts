import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNodeServerBuilt, NodeServer } from "../support/node-server.ts";
import { type HttpResult, http } from "../support/processes.ts";

/**
 * Issue 10: the Node server without `DAWSOS_API_TOKEN` must not be drivable by web pages.
 * A foreign `Host` (DNS rebinding) is refused on every path, and so is a state-changing request
 * whose `Origin`/`Sec-Fetch-Site` says it comes from another origin (CSRF). With a token neither
 * check applies: the token is required instead. The real server, over loopback; requests go out
 * through node:http, which (unlike fetch) sends the `Host` we give it.
 */
const ALLOWED_HOST = "dawsos.test";
const CORS_ORIGIN = "https://app.example";

let open: NodeServer | undefined;
let port = "";

beforeAll(async () => {
  await ensureNodeServerBuilt();
  open = await NodeServer.start({
    token: null,
    env: { DAWSOS_ALLOWED_HOSTS: `${ALLOWED_HOST}, other.test`, DAWSOS_CORS_ORIGINS: CORS_ORIGIN },
  });
  port = new URL(open.baseUrl).port;
}, 240_000);

afterAll(async () => {
  await open?.dispose();
}, 30_000);

const server = (): NodeServer => {
  if (!open) throw new Error("the node server did not start");
  return open;
};

/** One request without a token, with exactly the given extra headers. */
const send = (method: string, path: string, headers: Record<string, string> = {}) =>
  http(server().baseUrl, method, path, { token: null, headers, timeoutMs: 30_000 });

const show = (r: HttpResult) => `${r.status} ${r.body.slice(0, 400)}`;

function expectForbidden(reply: HttpResult): void {
  expect(reply.status, show(reply)).toBe(403);
  expect(reply.json, show(reply)).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
}

async function json<T>(path: string): Promise<T> {
  const reply = await send("GET", path);
  expect(reply.status, show(reply)).toBe(200);
  return reply.json as T;
}

/** What the three bodiless POSTs could change: backups, the graph, the workflow history. */
async function observable(): Promise<unknown> {
  const [backups, stats, history] = await Promise.all([
    json<{ id: string }[]>("/api/backups"),
    json<{ seq: number }>("/api/graph/stats"),
    json<unknown[]>("/api/workflows/history"),
  ]);
  return { backups: backups.map((b) => b.id), stats, history };
}

describe("no token: state-changing requests from other origins", () => {
  it("bodiless POSTs (backup, restore, workflow run) with a foreign Origin or Sec-Fetch-Site are 403 and change nothing", async () => {
    const made = await send("POST", "/api/backups");
    expect(made.status, show(made)).toBe(201);
    const backupId = (made.json as { id: string }).id;
    const routes = ["/api/backups", `/api/backups/${backupId}/restore`, "/api/workflows/regime_check/run"];
    const foreign: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { origin: "null" },
      { origin: `http://127.0.0.1:${Number(port) + 1}` }, // another local server
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    const before = await observable();
    for (const route of routes) {
      for (const headers of foreign) {
        const reply = await send("POST", route, headers);
        expectForbidden(reply);
      }
    }
    // Also a DELETE: the backup is still there.
    expectForbidden(await send("DELETE", `/api/backups/${backupId}`, { origin: "https://evil.example" }));
    expect(await observable()).toEqual(before);
  });

  it("accepts its own origin (127.0.0.1 or localhost), a DAWSOS_CORS_ORIGINS origin, and clients without browser headers", async () => {
    const accepted: Array<Record<string, string>> = [
      {},
      { origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" },
      { host: `localhost:${port}`, origin: `http://localhost:${port}`, "sec-fetch-site": "same-origin" },
      { host: `${ALLOWED_HOST}:${port}`, origin: `http://${ALLOWED_HOST}:${port}` },
      { origin: CORS_ORIGIN, "sec-fetch-site": "cross-site" },
    ];
    for (const headers of accepted) {
      const backup = await send("POST", "/api/backups", headers);
      expect(backup.status, `${JSON.stringify(headers)} ${show(backup)}`).toBe(201);
    }
    const run = await send("POST", "/api/workflows/regime_check/run", {
      origin: `http://127.0.0.1:${port}`,
      "sec-fetch-site": "same-origin",
    });
    expect(run.status, show(run)).toBe(200);
  });
});

describe("no token: the Host allow-list (DNS rebinding)", () => {
  it("a foreign Host gets 403 forbidden on the API, /health, /openapi.json and the dashboard", async () => {
    const hosts = [
      "evil.example",
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
    ];
    for (const host of hosts) {
      for (const path of ["/api/graph", "/api/nodes", "/health", "/openapi.json", "/", "/index.html"]) {
        const reply = await send("GET", path, { host });
        expectForbidden(reply);
        expect(reply.headers.etag, `${host} ${path}`).toBeUndefined();
      }
    }
  });

  it("loopback names (any port) and the DAWSOS_ALLOWED_HOSTS names get 200", async () => {
    const hosts = [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      "localhost",
      `${ALLOWED_HOST}:${port}`,
      ALLOWED_HOST.toUpperCase(),
      "other.test",
    ];
    for (const host of hosts) {
      const graph = await send("GET", "/api/graph", { host });
      expect(graph.status, `${host} ${show(graph)}`).toBe(200);
      expect(graph.headers.etag, host).toMatch(/^"\d+"$/);
      expect((await send("GET", "/health", { host })).status, host).toBe(200);
    }
  });

  it("logged no stack trace while refusing", () => {
    expect(server().stderr, server().output()).not.toMatch(/\n\s+at |unhandled|uncaught/i);
  });
});

describe("with a token: the token is required, Host and Origin are not checked", () => {
  it("a foreign Host and a foreign Origin pass once the token is given (and get 401 without it)", async () => {
    const guarded = await NodeServer.start({ env: { DAWSOS_ALLOWED_HOSTS: ALLOWED_HOST } });
    try {
      const call = (method: string, path: string, headers: Record<string, string>, token: string | null) =>
        http(guarded.baseUrl, method, path, { token, headers, timeoutMs: 30_000 });
      const foreign = {
        host: "evil.example",
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
      };
      const anonymous = await call("GET", "/api/graph", { host: "evil.example" }, null);
      expect(anonymous.status, show(anonymous)).toBe(401);
      expect((anonymous.json as { error: { code: string } }).error.code).toBe("unauthorized");
      expect((await call("POST", "/api/backups", foreign, null)).status).toBe(401);
      expect((await call("GET", "/api/graph", { host: "evil.example" }, guarded.token!)).status).toBe(200);
      expect((await call("GET", "/health", { host: "evil.example" }, null)).status).toBe(200);
      const backup = await call("POST", "/api/backups", foreign, guarded.token!);
      expect(backup.status, show(backup)).toBe(201);
    } finally {
      await guarded.dispose();
    }
  });
});
