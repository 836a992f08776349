/**
 * Issue 4 / SPEC section 2: the Node server's configuration and process behaviour — the
 * single-writer lock between two servers, refusing unsafe or invalid settings with a clear
 * message and exit 1, DAWSOS_SEED, the token on `/api/*` only, one structured log line per
 * request.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  http,
  killAll,
  makeTempDir,
  requestLogs,
  spawnServer,
  startServer,
  TEST_TOKEN,
} from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

// No file-wide kill after each test: the concurrent block below runs its tests side by side, and
// killing every server when one ends would kill another's. The sequential blocks kill their own.
useServerProcesses({ killAfterEach: false });

/** Starts a server expected to refuse: it must exit 1 (quickly) without ever listening. */
async function expectRefusal(options: Parameters<typeof spawnServer>[0]): Promise<string> {
  const proc = spawnServer(options);
  const exit = await proc.waitForExit(15_000);
  expect(proc.stdout()).not.toMatch(/"event":"listening"/);
  expect(exit, proc.stderr()).toEqual({ code: 1, signal: null });
  expect(proc.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  return proc.stderr();
}

describe("two servers on one storage directory", () => {
  afterEach(async () => {
    await killAll();
  });

  it("the second waits DAWSOS_LOCK_WAIT_MS, then refuses naming the first's pid; the first keeps serving", async () => {
    const dir = await makeTempDir("dawsos-two-");
    const first = await startServer({ storageDir: dir });
    const second = spawnServer({ storageDir: dir, env: { DAWSOS_LOCK_WAIT_MS: "500" } });
    const exit = await second.waitForExit(15_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(second.stdout()).not.toMatch(/"event":"listening"/);
    // One line saying what it waits for, then the refusal.
    const waits = second
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"event":"lock_wait"'))
      .map((line) => JSON.parse(line) as { pid: number; wait_ms: number; message: string });
    expect(waits, second.stderr()).toHaveLength(1);
    expect(waits[0]).toMatchObject({ pid: first.pid, wait_ms: 500 });
    expect(waits[0]!.message).toMatch(new RegExp(`\\bpid ${first.pid}\\b`));
    expect(second.stderr()).toMatch(new RegExp(`\\[lock_held\\] .*\\bpid ${first.pid}\\b`));
    // The loser did not disturb the holder: its lock is intact and it still writes.
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(first.pid);
    const put = await http(first.url, "PUT", "/api/nodes/still_mine", { body: { type: "t", data: {} } });
    expect(put.status).toBe(201);
  });
});

// Concurrent: every process here exits by itself (the one server is stopped by its test);
// anything left over is killed in afterAll.
describe.concurrent("refuses bad configuration with a clear message and exit 1", () => {
  it("a non-loopback HOST without DAWSOS_API_TOKEN", async () => {
    const dir = join(await makeTempDir("dawsos-host-"), "storage");
    const stderr = await expectRefusal({ storageDir: dir, token: null, env: { HOST: "0.0.0.0" } });
    expect(stderr).toMatch(/DAWSOS_API_TOKEN/);
    expect(stderr).toMatch(/0\.0\.0\.0/);
    // Refused before touching the storage directory.
    expect(existsSync(dir)).toBe(false);
  });

  it("a non-loopback HOST with a token starts (and answers on loopback)", async () => {
    const dir = await makeTempDir("dawsos-host-token-");
    const server = await startServer({ storageDir: dir, env: { HOST: "0.0.0.0" } });
    try {
      const health = await http(server.url, "GET", "/health", { token: null });
      expect(health.status).toBe(200);
    } finally {
      server.child.kill("SIGKILL");
      await server.waitForExit(10_000);
    }
  });

  for (const port of ["abc", "70000", "-1", "80.5"]) {
    it(`PORT=${port}`, async () => {
      const dir = join(await makeTempDir("dawsos-port-"), "storage");
      const stderr = await expectRefusal({ storageDir: dir, env: { PORT: port } });
      expect(stderr).toMatch(/\bPORT\b/);
      expect(existsSync(dir)).toBe(false);
    });
  }

  for (const wait of ["soon", "-1", "1.5", "600001"]) {
    it(`DAWSOS_LOCK_WAIT_MS=${wait}`, async () => {
      const dir = join(await makeTempDir("dawsos-lock-wait-"), "storage");
      const stderr = await expectRefusal({ storageDir: dir, env: { DAWSOS_LOCK_WAIT_MS: wait } });
      expect(stderr).toMatch(/\bDAWSOS_LOCK_WAIT_MS\b/);
      expect(existsSync(dir)).toBe(false);
    });
  }

  for (const [variable, value] of [
    ["DAWSOS_SESSION_MAX_COUNT", "0"],
    ["DAWSOS_SESSION_MAX_COUNT", "ten"],
    ["DAWSOS_SESSION_MAX_COUNT", "2.5"],
    ["DAWSOS_SESSION_MAX_AGE_DAYS", "0"],
    ["DAWSOS_SESSION_MAX_AGE_DAYS", "-3"],
    ["DAWSOS_SESSION_MAX_AGE_DAYS", "30d"],
  ] as const) {
    it(`${variable}=${value}`, async () => {
      const dir = join(await makeTempDir("dawsos-session-env-"), "storage");
      const stderr = await expectRefusal({ storageDir: dir, env: { [variable]: value } });
      expect(stderr).toContain(variable);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it("a DAWSOS_API_TOKEN shorter than 16 characters (not echoed back)", async () => {
    const dir = join(await makeTempDir("dawsos-token-"), "storage");
    const token = "short-secret-15";
    expect(token.length).toBe(15);
    const stderr = await expectRefusal({ storageDir: dir, token });
    expect(stderr).toMatch(/DAWSOS_API_TOKEN/);
    expect(stderr).not.toContain(token);
    expect(existsSync(dir)).toBe(false);
  });

  it("a DAWSOS_API_TOKEN with non-printable characters or spaces", async () => {
    const dir = join(await makeTempDir("dawsos-token-"), "storage");
    const stderr = await expectRefusal({ storageDir: dir, token: "has a space in the token" });
    expect(stderr).toMatch(/DAWSOS_API_TOKEN/);
  });

  for (const hosts of ["http://dawsos.lan", "dawsos.lan:8787", "good.lan, bad host", "[fe80::1%eth0]"]) {
    it(`DAWSOS_ALLOWED_HOSTS=${hosts} (names only: no scheme, no port)`, async () => {
      const dir = join(await makeTempDir("dawsos-allowed-hosts-"), "storage");
      const stderr = await expectRefusal({
        storageDir: dir,
        token: null,
        env: { DAWSOS_ALLOWED_HOSTS: hosts },
      });
      expect(stderr).toMatch(/DAWSOS_ALLOWED_HOSTS/);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it("a DAWSOS_SEED file that does not exist: names the file, leaves the directory empty", async () => {
    const base = await makeTempDir("dawsos-seed-missing-");
    const seed = join(base, "no-such-seed.json");
    const stderr = await expectRefusal({ storageDir: join(base, "storage"), env: { DAWSOS_SEED: seed } });
    expect(stderr).toContain(seed);
    expect(existsSync(join(base, "storage", "graph.json"))).toBe(false);
  });

  it("a DAWSOS_SEED file that is not JSON: names the file, leaves the directory empty", async () => {
    const base = await makeTempDir("dawsos-seed-bad-");
    const seed = join(base, "broken-seed.json");
    writeFileSync(seed, '{"version": 2, "nodes": {');
    const stderr = await expectRefusal({ storageDir: join(base, "storage"), env: { DAWSOS_SEED: seed } });
    expect(stderr).toContain(seed);
    expect(existsSync(join(base, "storage", "graph.json"))).toBe(false);
  });

  it("a DAWSOS_SEED document that breaks the schema: says what is wrong, leaves the directory unlocked", async () => {
    const base = await makeTempDir("dawsos-seed-invalid-");
    const seed = join(base, "invalid-seed.json");
    writeFileSync(
      seed,
      JSON.stringify({
        version: 2,
        nodes: { A: { id: "A", type: "x", data: {} } },
        edges: [{ from: "A", to: "NOWHERE", type: "t" }],
        patterns: {},
      }),
    );
    const dir = join(base, "storage");
    const stderr = await expectRefusal({ storageDir: dir, env: { DAWSOS_SEED: seed } });
    expect(stderr).toMatch(/NOWHERE/);
    expect(existsSync(join(dir, "graph.json"))).toBe(false);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });
});

describe("DAWSOS_SEED", () => {
  afterEach(async () => {
    await killAll();
  });

  const customSeed = {
    version: 2,
    nodes: {
      ALPHA: { id: "ALPHA", type: "custom", data: { name: "Alpha", value: 1 } },
      BETA: { id: "BETA", type: "custom", data: { name: "Beta", value: 2 } },
      GAMMA: { id: "GAMMA", type: "other", data: { value: 3 } },
    },
    edges: [
      { from: "ALPHA", to: "BETA", type: "feeds", strength: 0.5 },
      { from: "BETA", to: "GAMMA", type: "feeds", strength: 0.25 },
    ],
    patterns: {
      p1: { type: "CUSTOM", description: "alpha high", trigger_conditions: ["ALPHA > 0"], confidence: 0.5 },
    },
  };

  it("initialises an empty directory from the given file, and is ignored once the directory has a graph", async () => {
    const base = await makeTempDir("dawsos-seed-");
    const seed = join(base, "my-seed.json");
    writeFileSync(seed, JSON.stringify(customSeed));
    const dir = join(base, "storage");
    const server = await startServer({ storageDir: dir, env: { DAWSOS_SEED: seed } });
    const health = (await http(server.url, "GET", "/health", { token: null })).json as {
      graph: { nodes: number; edges: number; patterns: number };
    };
    expect(health.graph).toMatchObject({ nodes: 3, edges: 2, patterns: 1 });
    const alpha = await http(server.url, "GET", "/api/nodes/ALPHA");
    expect(alpha.status).toBe(200);
    expect(alpha.json).toMatchObject({ id: "ALPHA", type: "custom", data: { name: "Alpha", value: 1 } });
    // The seed the graph came from is kept beside it.
    const seeded = JSON.parse(readFileSync(join(dir, "seeded_graph.json"), "utf8"));
    expect(Object.keys(seeded.nodes).sort()).toEqual(["ALPHA", "BETA", "GAMMA"]);

    server.child.kill("SIGTERM");
    expect((await server.waitForExit(10_000)).code).toBe(0);

    // A different seed on a directory that already has a graph changes nothing.
    const other = join(base, "other-seed.json");
    writeFileSync(
      other,
      JSON.stringify({
        ...customSeed,
        nodes: { ONLY: { id: "ONLY", type: "x", data: {} } },
        edges: [],
        patterns: {},
      }),
    );
    const again = await startServer({ storageDir: dir, env: { DAWSOS_SEED: other } });
    const health2 = (await http(again.url, "GET", "/health", { token: null })).json as {
      graph: { nodes: number };
    };
    expect(health2.graph.nodes).toBe(3);
  });
});

describe("authentication and request logs", () => {
  afterEach(async () => {
    await killAll();
  });

  it("with a token, /api/* needs it and /health does not", async () => {
    const dir = await makeTempDir("dawsos-auth-");
    const server = await startServer({ storageDir: dir });

    const health = await http(server.url, "GET", "/health", { token: null });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: "ok", storage: "fs" });

    const cases: [string, string, unknown?][] = [
      ["GET", "/api/graph/stats"],
      ["GET", "/api/nodes"],
      ["GET", "/api/integrity"],
      ["GET", "/api/no-such-route"],
      ["PUT", "/api/nodes/unauthorised", { type: "t", data: {} }],
      ["POST", "/api/backups"],
    ];
    for (const [method, path, body] of cases) {
      const wrongSameLength = TEST_TOKEN.replace(/.$/, (ch) => (ch === "f" ? "e" : "f"));
      for (const token of [null, wrongSameLength, `${TEST_TOKEN}x`, TEST_TOKEN.slice(0, -1)]) {
        const res = await http(server.url, method, path, { token, body });
        expect(res.status, `${method} ${path} with ${token ?? "no token"}`).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
        expect(res.json).toMatchObject({ error: { code: "unauthorized" } });
      }
    }
    // Nothing was written by the refused requests.
    expect((await http(server.url, "GET", "/api/nodes/unauthorised")).status).toBe(404);
    expect(readdirSync(dir)).not.toContain("backups");

    const ok = await http(server.url, "GET", "/api/graph/stats");
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ total_nodes: expect.any(Number), seq: expect.any(Number) });
  });

  it("malformed Authorization headers are 401 unauthorized too (SPEC section 5), never a validation error", async () => {
    const dir = await makeTempDir("dawsos-auth-malformed-");
    const server = await startServer({ storageDir: dir });
    const headers = [
      `Basic ${Buffer.from(`user:${TEST_TOKEN}`).toString("base64")}`,
      "Bearer",
      "Bearer ",
      "Bearer wrong!token-with-punctuation",
      `Token ${TEST_TOKEN}`,
    ];
    for (const authorization of headers) {
      const res = await http(server.url, "GET", "/api/graph/stats", {
        token: null,
        headers: { authorization },
      });
      expect(res.status, `Authorization: ${authorization}`).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(res.json).toMatchObject({ error: { code: "unauthorized" } });
    }
  });

  it("accepts every token the configuration accepts (printable ASCII, e.g. with ! # $ %)", async () => {
    const dir = await makeTempDir("dawsos-auth-punct-");
    const token = "Punct!#$%&*token:2024?";
    const server = await startServer({ storageDir: dir, token });
    const ok = await http(server.url, "GET", "/api/graph/stats", { token });
    expect(ok.status, ok.body).toBe(200);
    const wrong = await http(server.url, "GET", "/api/graph/stats", { token: `${token}x` });
    expect(wrong.status).toBe(401);
  });

  it("logs one structured JSON line per request: method, path, status, ms, request id", async () => {
    const dir = await makeTempDir("dawsos-logs-");
    const server = await startServer({ storageDir: dir });

    const sent = [
      { id: "log-test-get-health", method: "GET", path: "/health", token: null, status: 200 },
      { id: "log-test-put-node", method: "PUT", path: "/api/nodes/logged", token: TEST_TOKEN, status: 201 },
      { id: "log-test-missing", method: "GET", path: "/api/nodes/absent", token: TEST_TOKEN, status: 404 },
      { id: "log-test-unauth", method: "GET", path: "/api/graph", token: null, status: 401 },
    ] as const;
    for (const s of sent) {
      const res = await http(server.url, s.method, s.path, {
        token: s.token,
        headers: { "x-request-id": s.id },
        body: s.method === "PUT" ? { type: "t", data: {} } : undefined,
      });
      expect(res.status).toBe(s.status);
      expect(res.headers["x-request-id"]).toBe(s.id);
    }
    // A request without an id gets a generated one, echoed in the response and in the log.
    const anon = await http(server.url, "GET", "/health", { token: null });
    const anonId = anon.headers["x-request-id"];
    expect(anonId).toEqual(expect.any(String));

    // Log lines are written when the response is; allow the pipe a moment.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !requestLogs(server).some((l) => l.request_id === anonId)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const logs = requestLogs(server);
    for (const s of sent) {
      const lines = logs.filter((l) => l.request_id === s.id);
      expect(lines, s.id).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        method: s.method,
        path: s.path,
        status: s.status,
        ms: expect.any(Number),
      });
      expect(lines[0]!.ms).toBeGreaterThanOrEqual(0);
    }
    expect(logs.filter((l) => l.request_id === anonId)).toHaveLength(1);
    // Exactly one line per request, every one on its own line of valid JSON.
    expect(logs).toHaveLength(sent.length + 1);
    for (const line of server.stdout().trim().split("\n")) expect(() => JSON.parse(line), line).not.toThrow();
    // The token never appears in the logs.
    expect(server.stdout() + server.stderr()).not.toContain(TEST_TOKEN);
  });
});
