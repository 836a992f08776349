import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNodeServerBuilt, NodeServer } from "../support/node-server.ts";
import { runHttpContract } from "./contract.ts";

/**
 * The HTTP contract suite against the real Node server: `node apps/node-server/dist/server.js`
 * as a child process on a free loopback port, over a fresh temporary storage directory.
 */
let server: NodeServer | undefined;
/** Small enough for the contract's retention test; larger than any other test's sessions. */
const SESSION_MAX_COUNT = 40;
let canaryText = "";

beforeAll(async () => {
  await ensureNodeServerBuilt();
  server = await NodeServer.start({ env: { DAWSOS_SESSION_MAX_COUNT: String(SESSION_MAX_COUNT) } });
  canaryText = await readFile(server.canaryPath!, "utf8");
}, 240_000);

afterAll(async () => {
  await server?.dispose();
}, 30_000);

const running = (): NodeServer => {
  if (!server) throw new Error("the node server did not start");
  return server;
};

describe("node server: health", () => {
  it("GET /health needs no token and reports the fs storage", async () => {
    const response = await fetch(`${running().baseUrl}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", storage: "fs" });
    expect(typeof body.version).toBe("string");
    expect(Object.keys(body.graph as object).sort()).toEqual(["edges", "nodes", "patterns", "seq"]);
    // /api needs the token on this server.
    const denied = await fetch(`${running().baseUrl}/api/graph/stats`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(denied.status).toBe(401);
  });
});

runHttpContract(
  "node server",
  () => {
    const s = running();
    return { baseUrl: s.baseUrl, token: s.token!, canaryPath: s.canaryPath };
  },
  { sessionMaxCount: SESSION_MAX_COUNT },
);

describe("node server: after the contract suite", () => {
  it("is still running, never crashed or logged an unhandled error, and the canary is intact", async () => {
    const s = running();
    expect(s.exit, s.output()).toBeNull();
    expect(s.stderr, s.output()).not.toMatch(
      /unhandled|uncaught|TypeError|ReferenceError|RangeError|\n\s+at /i,
    );
    expect(await readFile(s.canaryPath!, "utf8")).toBe(canaryText);
    const integrity = await fetch(`${s.baseUrl}/api/integrity`, {
      headers: { authorization: `Bearer ${s.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    expect(((await integrity.json()) as { ok: boolean }).ok).toBe(true);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const exit = await running().stop();
    expect(exit, running().output()).toEqual({ code: 0, signal: null });
  });
});

describe("node server: tokens", () => {
  it("any token the configuration accepts (printable ASCII, e.g. with `!` or `#`) authenticates", async () => {
    const token = `Tok!en#${"x".repeat(8)}$%&*:;<>?@[]^{|}`;
    const other = await NodeServer.start({ token });
    try {
      const ok = await fetch(`${other.baseUrl}/api/graph/stats`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect(ok.status, await ok.clone().text()).toBe(200);
      const wrong = await fetch(`${other.baseUrl}/api/graph/stats`, {
        headers: { authorization: `Bearer ${token.slice(0, -1)}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect(wrong.status).toBe(401);
    } finally {
      await other.dispose();
    }
  });
});
