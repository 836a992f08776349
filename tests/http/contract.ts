import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The HTTP contract suite (SPEC section 5, issue 4): one suite, run against every server that
 * serves the API — the Node server process here, the Worker in workerd later. It talks to the
 * target with plain `fetch` only: no filesystem (except the optional canary check), unique ids
 * per test so no test depends on another or on their order, and nothing assumed about what the
 * graph held before (a pre-seeded graph is fine).
 */
export interface HttpTarget {
  /** e.g. `http://127.0.0.1:8787` (no trailing slash needed). */
  baseUrl: string;
  /** The bearer token every `/api/*` request needs. */
  token: string;
  /** A file outside the storage directory that path-traversal attempts must leave unchanged. */
  canaryPath?: string;
}

/** What the suite must know about a target before it starts (tests are defined from it). */
export interface HttpContractOptions {
  /**
   * The target's session count retention, when it is configured small enough to exercise over
   * HTTP (e.g. `DAWSOS_SESSION_MAX_COUNT=40`); the retention test is defined only then.
   */
  sessionMaxCount?: number;
}

// ------------------------------------------------------------------------------ response types

interface NodeRec {
  id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  [extra: string]: unknown;
}

interface EdgeRec {
  id: string;
  from: string;
  to: string;
  type: string;
  strength: number;
  created_at: string;
  [extra: string]: unknown;
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface Stats {
  total_nodes: number;
  total_edges: number;
  total_patterns: number;
  node_types: Record<string, number>;
  edge_types: Record<string, number>;
  seq: number;
}

interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

interface ZodIssue {
  code: string;
  path: (string | number)[];
  message: string;
}

interface Backup {
  id: string;
  created: string;
  files: { name: string; size: number; checksum: string }[];
}

interface Version {
  id: string;
  created: string;
  size: number;
  checksum: string;
}

interface ChatMessage {
  role: string;
  content: string;
  at: string;
}

interface Session {
  id: string;
  created: string;
  chat_history: ChatMessage[];
}

interface PatternEvaluation {
  id: string;
  type?: string;
  triggered: boolean | null;
  conditions: { expr: string; value: unknown; result: boolean | null }[];
}

interface GraphDocument {
  version: number;
  seq: number;
  nodes: Record<string, NodeRec>;
  edges: EdgeRec[];
  patterns: Record<string, unknown>;
  metadata: Record<string, unknown>;
  checksum: string;
  [extra: string]: unknown;
}

type BatchOp = Record<string, unknown> & { op: string };

// ------------------------------------------------------------------------------ constants

const MiB = 1024 * 1024;
const TIMESTAMP_ID = /^\d{8}_\d{6}(-\d+)?$/;
const REQUEST_TIMEOUT_MS = 60_000;
/** Property-test runs per write route (kept modest so the suite stays fast). */
const RUNS = 40;

/** A reply with its body read (so a failing assertion can show it). */
class Reply {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly headers: Headers,
    readonly text: string,
  ) {}

  /** The parsed JSON body (throws, naming the request, when it is not JSON). */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text) as T;
    } catch {
      throw new Error(`${this.describe()}: body is not JSON: ${this.text.slice(0, 300)}`);
    }
  }

  describe(): string {
    return `${this.method} ${this.path.slice(0, 200)} → ${this.status}`;
  }

  show(): string {
    return `${this.describe()} ${this.text.slice(0, 600)}`;
  }
}

interface CallOptions {
  /** A value sent as JSON with `content-type: application/json`. */
  body?: unknown;
  /** A body sent as it is (with `contentType` if given). */
  raw?: string | Uint8Array | ReadableStream<Uint8Array>;
  contentType?: string;
  headers?: Record<string, string>;
  /** The Authorization header: `undefined` → `Bearer <token>`, `null` → none. */
  auth?: string | null;
}

/** `uid("n")` → `n_1a2b3c4d5e6f`: unique per call, safe in URLs and condition expressions. */
function uid(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

const pad = (n: number, width = 4) => String(n).padStart(width, "0");
const enc = encodeURIComponent;

/** RFC 8785 canonical JSON of parsed JSON data (keys by UTF-16 code units, ES number form). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Orders backup/version ids newest first (`YYYYmmdd_HHMMSS` then the `-N` suffix). */
function compareTimestampIdsDesc(a: string, b: string): number {
  const [baseA = "", nA = "0"] = a.split("-");
  const [baseB = "", nB = "0"] = b.split("-");
  if (baseA !== baseB) return baseA < baseB ? 1 : -1;
  return Number(nB) - Number(nA);
}

/** A JSON text of exactly `bytes` bytes: a node body padded with ASCII. */
function nodeBodyOfSize(bytes: number): string {
  const head = '{"type":"big","data":{"pad":"';
  const tail = '"}}';
  return head + "a".repeat(bytes - head.length - tail.length) + tail;
}

/** A body streamed in chunks, so it goes out with `Transfer-Encoding: chunked` and no length. */
function chunkedStream(text: string, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

/** Deterministic pseudo-random numbers for test schedules (so failures reproduce). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

// ------------------------------------------------------------------------------ the suite

export function runHttpContract(
  name: string,
  getTarget: () => HttpTarget,
  options: HttpContractOptions = {},
): void {
  /** Every 5xx the suite saw; the contract allows none (none of these routes has an upstream). */
  const serverErrors: string[] = [];

  const target = () => {
    const t = getTarget();
    return { ...t, baseUrl: t.baseUrl.replace(/\/+$/, "") };
  };

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const { baseUrl, token } = target();
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? `Bearer ${token}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    let body: string | Uint8Array | ReadableStream<Uint8Array> | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    } else if (options.raw !== undefined) {
      body = options.raw;
      if (options.contentType !== undefined) headers["content-type"] = options.contentType;
    }
    const init: RequestInit & { duplex?: "half" } = {
      method,
      headers,
      body: body as BodyInit | undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    };
    if (body instanceof ReadableStream) init.duplex = "half";
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, init);
    } catch (err) {
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      throw new Error(
        `${method} ${path.slice(0, 200)}: no response (${cause?.code ?? ""} ${cause?.message ?? String(err)})`,
        { cause: err },
      );
    }
    const reply = new Reply(method, path, response.status, response.headers, await response.text());
    if (reply.status >= 500) serverErrors.push(reply.show());
    return reply;
  }

  /** A 2xx (or the given status) with a JSON body, parsed. */
  async function okJson<T>(method: string, path: string, status: number, options?: CallOptions): Promise<T> {
    const reply = await call(method, path, options);
    expect(reply.status, reply.show()).toBe(status);
    expect(reply.headers.get("content-type") ?? "", reply.show()).toMatch(/^application\/json/i);
    return reply.json<T>();
  }

  /** The SPEC error envelope, exactly: `{"error":{"code","message","details"?}}`. */
  function expectEnvelope(reply: Reply): ErrorEnvelope {
    expect(reply.headers.get("content-type") ?? "", reply.show()).toMatch(/^application\/json/i);
    const body = reply.json<ErrorEnvelope>();
    expect(Object.keys(body), reply.show()).toEqual(["error"]);
    expect(typeof body.error, reply.show()).toBe("object");
    const keys = Object.keys(body.error);
    expect(
      keys.every((k) => ["code", "message", "details"].includes(k)),
      reply.show(),
    ).toBe(true);
    expect(body.error.code, reply.show()).toMatch(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
    expect(typeof body.error.message, reply.show()).toBe("string");
    // Never a stack trace or a host path.
    expect(reply.text, reply.show()).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|node_modules|file:\/\//);
    return body;
  }

  function expectError(reply: Reply, status: number | number[], code?: string): ErrorEnvelope {
    const statuses = Array.isArray(status) ? status : [status];
    expect(statuses, reply.show()).toContain(reply.status);
    const body = expectEnvelope(reply);
    if (code !== undefined) expect(body.error.code, reply.show()).toBe(code);
    return body;
  }

  /** 400 `validation_error` whose `details` are zod issues. */
  function expectZodError(reply: Reply): ZodIssue[] {
    const body = expectError(reply, 400, "validation_error");
    expect(Array.isArray(body.error.details), reply.show()).toBe(true);
    const issues = body.error.details as ZodIssue[];
    expect(issues.length, reply.show()).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(typeof issue.code, reply.show()).toBe("string");
      expect(Array.isArray(issue.path), reply.show()).toBe(true);
      expect(typeof issue.message, reply.show()).toBe("string");
    }
    return issues;
  }

  const stats = () => okJson<Stats>("GET", "/api/graph/stats", 200);
  const seq = async () => (await stats()).seq;
  const backupIds = async () => (await okJson<Backup[]>("GET", "/api/backups", 200)).map((b) => b.id);
  const versionIds = async () =>
    (await okJson<Version[]>("GET", "/api/graph/versions", 200)).map((v) => v.id);

  async function batch(ops: BatchOp[]): Promise<{ applied: number; seq: number }> {
    return okJson("POST", "/api/batch", 200, { body: { ops } });
  }

  async function putNode(id: string, type: string, data: Record<string, unknown> = {}): Promise<NodeRec> {
    const reply = await call("PUT", `/api/nodes/${enc(id)}`, { body: { type, data } });
    expect([200, 201], reply.show()).toContain(reply.status);
    return reply.json<NodeRec>();
  }

  async function nodeExists(id: string): Promise<boolean> {
    const reply = await call("GET", `/api/nodes/${enc(id)}`);
    if (reply.status === 404) {
      expectError(reply, 404, "not_found");
      return false;
    }
    expect(reply.status, reply.show()).toBe(200);
    return true;
  }

  /** Every page of a listing, following `next_cursor` (bounded). */
  async function allPages<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10_000; page++) {
      const sep = path.includes("?") ? "&" : "?";
      const url = cursor === null ? path : `${path}${sep}cursor=${enc(cursor)}`;
      const body: Page<T> = await okJson<Page<T>>("GET", url, 200);
      items.push(...body.items);
      cursor = body.next_cursor;
      if (cursor === null) return items;
    }
    throw new Error(`${path}: more than 10,000 pages`);
  }

  describe(`HTTP contract: ${name}`, () => {
    afterAll(() => {
      expect(serverErrors, "no request of the contract suite may answer 5xx").toEqual([]);
    });

    // -------------------------------------------------------------------------- discovery

    describe("health, OpenAPI, headers", () => {
      it("GET /health needs no token and answers the SPEC shape, consistent with the stats", async () => {
        const health = await okJson<{
          status: string;
          version: string;
          storage: string;
          graph: { nodes: number; edges: number; patterns: number; seq: number };
        }>("GET", "/health", 200, { auth: null });
        expect(health.status).toBe("ok");
        expect(typeof health.version).toBe("string");
        expect(["fs", "memory", "durable-object"]).toContain(health.storage);
        for (const key of ["nodes", "edges", "patterns", "seq"] as const) {
          expect(Number.isInteger(health.graph[key]), key).toBe(true);
        }
        const s = await stats();
        expect(health.graph).toEqual({
          nodes: s.total_nodes,
          edges: s.total_edges,
          patterns: s.total_patterns,
          seq: s.seq,
        });
        // A wrong token is no reason to refuse /health either.
        expect((await call("GET", "/health", { auth: "Bearer wrong" })).status).toBe(200);
      });

      it("GET /openapi.json is an OpenAPI 3.1 document naming every route", async () => {
        const doc = await okJson<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
          "GET",
          "/openapi.json",
          200,
          { auth: null },
        );
        expect(doc.openapi).toMatch(/^3\.1\./);
        const expected: [string, string][] = [
          ["/api/graph", "get"],
          ["/api/graph", "put"],
          ["/api/graph/stats", "get"],
          ["/api/graph/save", "post"],
          ["/api/graph/versions", "get"],
          ["/api/graph/versions/{id}/restore", "post"],
          ["/api/integrity", "get"],
          ["/api/nodes", "get"],
          ["/api/nodes/{id}", "get"],
          ["/api/nodes/{id}", "put"],
          ["/api/nodes/{id}", "patch"],
          ["/api/nodes/{id}", "delete"],
          ["/api/nodes/{id}/influences", "get"],
          ["/api/nodes/{id}/neighbors", "get"],
          ["/api/paths", "get"],
          ["/api/edges", "get"],
          ["/api/edges", "post"],
          ["/api/edges/{id}", "get"],
          ["/api/edges/{id}", "delete"],
          ["/api/patterns", "get"],
          ["/api/patterns/{id}", "get"],
          ["/api/patterns/{id}", "put"],
          ["/api/patterns/{id}", "delete"],
          ["/api/patterns/evaluate", "get"],
          ["/api/patterns/types/{type}/nodes", "get"],
          ["/api/batch", "post"],
          ["/api/backups", "post"],
          ["/api/backups", "get"],
          ["/api/backups/{id}/restore", "post"],
          ["/api/backups/{id}", "delete"],
          ["/api/sessions", "post"],
          ["/api/sessions/{id}", "get"],
          ["/api/sessions/{id}", "delete"],
          ["/api/sessions/{id}/messages", "post"],
        ];
        const missing = expected.filter(([path, method]) => doc.paths[path]?.[method] === undefined);
        expect(missing).toEqual([]);
      });

      it("sends secure headers, and no CORS grant to an unknown origin", async () => {
        const reply = await call("GET", "/api/graph/stats", { headers: { origin: "https://evil.example" } });
        expect(reply.status).toBe(200);
        expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
        expect(reply.headers.get("access-control-allow-origin")).toBeNull();
        const preflight = await call("OPTIONS", "/api/graph/stats", {
          auth: null,
          headers: { origin: "https://evil.example", "access-control-request-method": "PUT" },
        });
        expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      });
    });

    // -------------------------------------------------------------------------- auth

    describe("authentication", () => {
      /** One request per SPEC route (ids in a valid form; the token check comes first anyway). */
      const routes = (): [string, string, unknown?][] => {
        const id = uid("auth");
        const ts = "20240101_000000";
        const session = "0123456789abcdef0123456789abcdef";
        return [
          ["GET", "/api/graph"],
          ["PUT", "/api/graph", { nodes: {}, edges: [], patterns: {} }],
          ["GET", "/api/graph/stats"],
          ["POST", "/api/graph/save"],
          ["GET", "/api/graph/versions"],
          ["POST", `/api/graph/versions/${ts}/restore`],
          ["GET", "/api/integrity"],
          ["GET", "/api/nodes"],
          ["GET", "/api/nodes?q=a&limit=5"],
          ["GET", `/api/nodes/${id}`],
          ["PUT", `/api/nodes/${id}`, { type: "t", data: {} }],
          ["PATCH", `/api/nodes/${id}`, { data: { a: 1 } }],
          ["DELETE", `/api/nodes/${id}`],
          ["GET", `/api/nodes/${id}/influences`],
          ["GET", `/api/nodes/${id}/neighbors?direction=both&depth=2`],
          ["GET", `/api/paths?from=${id}&to=${id}x`],
          ["GET", "/api/edges"],
          ["POST", "/api/edges", { from: id, to: id, type: "t" }],
          ["GET", `/api/edges/${id}`],
          ["DELETE", `/api/edges/${id}`],
          ["GET", "/api/patterns"],
          ["GET", "/api/patterns/evaluate"],
          ["GET", `/api/patterns/types/${id}/nodes`],
          ["GET", `/api/patterns/${id}`],
          ["PUT", `/api/patterns/${id}`, { type: "T" }],
          ["DELETE", `/api/patterns/${id}`],
          ["POST", "/api/batch", { ops: [{ op: "put_node", id, type: "t" }] }],
          ["POST", "/api/backups"],
          ["GET", "/api/backups"],
          ["POST", `/api/backups/${ts}/restore`],
          ["DELETE", `/api/backups/${ts}`],
          ["POST", "/api/sessions"],
          ["GET", `/api/sessions/${session}`],
          ["DELETE", `/api/sessions/${session}`],
          ["POST", `/api/sessions/${session}/messages`, { role: "user", content: "hi" }],
          ["GET", `/api/no-such-route-${id}`],
        ];
      };

      it("every /api route answers 401 with WWW-Authenticate: Bearer for a missing, wrong or wrong-length token, and changes nothing", async () => {
        const { token } = target();
        const before = await stats();
        const backupsBefore = await backupIds();
        const badAuth: (string | null)[] = [
          null,
          "Bearer wrong-token-wrong-token-wrong",
          `Bearer ${token}x`,
          `Bearer ${token.slice(0, -1)}`,
          `Bearer ${token.slice(0, 8)}`,
          `Bearer ${"x".repeat(token.length)}`,
        ];
        for (const [method, path, body] of routes()) {
          for (const auth of badAuth) {
            const reply = await call(method, path, body === undefined ? { auth } : { auth, body });
            expectError(reply, 401, "unauthorized");
            expect(reply.headers.get("www-authenticate") ?? "", reply.show()).toMatch(/^Bearer\b/i);
          }
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
      });

      it("malformed Authorization headers (other scheme, no token, bare token) are 401 too", async () => {
        const { token } = target();
        const malformed = [
          `Basic ${btoa(`user:${token}`)}`,
          "Bearer",
          "Bearer ",
          token,
          `Token ${token}`,
          `Bearer ${token} extra`,
          "Bearer a,b",
        ];
        for (const auth of malformed) {
          for (const [method, path] of [
            ["GET", "/api/graph/stats"],
            ["DELETE", `/api/nodes/${uid("x")}`],
          ] as const) {
            const reply = await call(method, path, { auth });
            expectError(reply, 401, "unauthorized");
            expect(reply.headers.get("www-authenticate") ?? "", reply.show()).toMatch(/^Bearer\b/i);
          }
        }
      });

      it("the scheme is case-insensitive (RFC 9110): `bearer <token>` is accepted", async () => {
        const { token } = target();
        expect((await call("GET", "/api/graph/stats", { auth: `bearer ${token}` })).status).toBe(200);
      });

      it("authentication comes before content-type, size and body checks", async () => {
        const before = await seq();
        const id = uid("authfirst");
        const cases: CallOptions[] = [
          { raw: "not json", contentType: "text/plain" },
          { raw: "{broken", contentType: "application/json" },
          { raw: nodeBodyOfSize(MiB + 1), contentType: "application/json" },
        ];
        for (const options of cases) {
          const reply = await call("PUT", `/api/nodes/${id}`, { ...options, auth: null });
          expectError(reply, 401, "unauthorized");
        }
        expect(await seq()).toBe(before);
        expect(await nodeExists(id)).toBe(false);
      });
    });

    // -------------------------------------------------------------------------- routing

    describe("routing errors", () => {
      it("an unknown /api route is a 404 JSON envelope", async () => {
        for (const path of [
          `/api/${uid("nope")}`,
          `/api/nodes/${uid("n")}/nope`,
          `/api/graph/${uid("x")}`,
          "/api",
          "/api/",
        ]) {
          for (const method of ["GET", "POST", "DELETE"]) {
            expectError(await call(method, path), 404, "not_found");
          }
        }
      });

      it("a wrong method on a known route is 405 with Allow and the envelope", async () => {
        const id = uid("m");
        const cases: [string, string, string][] = [
          ["POST", "/api/graph/stats", "GET"],
          ["DELETE", "/api/graph", "GET"],
          ["PATCH", "/api/graph", "PUT"],
          ["POST", `/api/nodes/${id}`, "PUT"],
          ["PUT", "/api/edges", "POST"],
          ["PATCH", `/api/edges/${id}`, "GET"],
          ["GET", "/api/batch", "POST"],
          ["DELETE", "/api/backups", "GET"],
          ["GET", "/api/graph/save", "POST"],
          ["PUT", `/api/sessions/${id}`, "GET"],
        ];
        const before = await seq();
        for (const [method, path, allowed] of cases) {
          const reply = await call(method, path);
          expectError(reply, 405);
          expect(reply.headers.get("allow") ?? "", reply.show()).toContain(allowed);
        }
        expect(await seq()).toBe(before);
      });
    });

    // -------------------------------------------------------------------------- graph

    describe("graph document, stats, replace", () => {
      it('GET /api/graph is the section 4 document with ETag "<seq>" and a valid checksum', async () => {
        await putNode(uid("doc"), "doc_test", { value: 1 });
        const reply = await call("GET", "/api/graph");
        expect(reply.status).toBe(200);
        const doc = reply.json<GraphDocument>();
        expect(doc.version).toBe(2);
        expect(reply.headers.get("etag")).toBe(`"${doc.seq}"`);
        expect(doc.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(typeof doc.nodes).toBe("object");
        expect(Array.isArray(doc.edges)).toBe(true);
        expect(typeof doc.patterns).toBe("object");
        expect(typeof doc.metadata).toBe("object");
        const { checksum, ...rest } = doc;
        expect(await sha256Hex(canonicalJson(rest))).toBe(checksum);
        const s = await stats();
        expect(s.seq).toBe(doc.seq);
        expect(s.total_nodes).toBe(Object.keys(doc.nodes).length);
        expect(s.total_edges).toBe(doc.edges.length);
        expect(s.total_patterns).toBe(Object.keys(doc.patterns).length);
      });

      it("stats have the SPEC shape and count types; every write moves seq (the graph ETag) forward", async () => {
        const type = uid("stype");
        const before = await stats();
        for (const key of ["total_nodes", "total_edges", "total_patterns", "seq"] as const) {
          expect(Number.isInteger(before[key]), key).toBe(true);
        }
        expect(typeof before.node_types).toBe("object");
        expect(typeof before.edge_types).toBe("object");
        const a = uid("s");
        const b = uid("s");
        await putNode(a, type);
        await putNode(b, type);
        const after = await stats();
        expect(after.node_types[type]).toBe(2);
        expect(after.total_nodes).toBe(before.total_nodes + 2);
        expect(after.seq).toBeGreaterThan(before.seq);
        const etag = (await call("GET", "/api/graph")).headers.get("etag");
        expect(etag).toBe(`"${after.seq}"`);
      });

      it("PUT /api/graph replaces the graph (seed/Python formats), backs up first, keeps unknown fields", async () => {
        const p = uid("pg");
        const oldNode = uid("old");
        await putNode(oldNode, "old");
        const before = await stats();
        const backupsBefore = new Set(await backupIds());
        const document = {
          version: 1,
          custom_document_field: { kept: true },
          nodes: {
            [`${p}_GDP`]: {
              type: "indicator",
              data: { value: 2.5, name: "Gross domestic product" },
              created: "2024-01-01T00:00:00",
              modified: "2024-01-02T00:00:00",
              connections_in: [],
              connections_out: [`${p}_SPY`],
              note: "unknown node field survives",
            },
            [`${p}_SPY`]: { type: "index", data: { symbol: "SPY" } },
          },
          edges: [
            {
              from: `${p}_GDP`,
              to: `${p}_SPY`,
              type: "drives",
              strength: 0.7,
              created: "2024-01-01T00:00:00",
              activations: 3,
            },
          ],
          patterns: { [`${p}_pat`]: { type: "REGIME", trigger_conditions: [`${p}_GDP > 2`] } },
          forecasts: { anything: [1, 2, 3] },
        };
        const result = await okJson<Stats>("PUT", "/api/graph", 200, { body: document });
        expect(result).toMatchObject({ total_nodes: 2, total_edges: 1, total_patterns: 1 });
        expect(result.seq).toBeGreaterThan(before.seq);
        const s = await stats();
        expect(s.seq).toBe(result.seq);
        expect(s.total_nodes).toBe(2);
        expect(await nodeExists(oldNode)).toBe(false);
        const gdp = await okJson<NodeRec>("GET", `/api/nodes/${p}_GDP`, 200);
        expect(gdp.data).toEqual({ value: 2.5, name: "Gross domestic product" });
        expect(gdp.note).toBe("unknown node field survives");
        const edges = await okJson<Page<EdgeRec>>("GET", `/api/edges?from=${p}_GDP`, 200);
        expect(edges.items).toHaveLength(1);
        expect(typeof edges.items[0]!.id).toBe("string");
        expect(edges.items[0]!.id.length).toBeGreaterThan(0);
        const doc = await okJson<GraphDocument>("GET", "/api/graph", 200);
        expect(doc.custom_document_field).toEqual({ kept: true });
        expect(doc.forecasts).toEqual({ anything: [1, 2, 3] });
        // A backup of the previous graph was made first.
        const added = (await backupIds()).filter((id) => !backupsBefore.has(id));
        expect(added.length).toBeGreaterThanOrEqual(1);
      });

      it("PUT /api/graph round-trips our own format (GET → PUT) and honours If-Match", async () => {
        const p = uid("rt");
        await putNode(p, "roundtrip", { v: 1 });
        const got = await call("GET", "/api/graph");
        const etag = got.headers.get("etag")!;
        const document = got.json<GraphDocument>();
        await putNode(uid("bump"), "bump");
        const before = await stats();
        // Stale If-Match: 412, nothing changes.
        const stale = await call("PUT", "/api/graph", { body: document, headers: { "if-match": etag } });
        expectError(stale, 412, "precondition_failed");
        expect(await stats()).toEqual(before);
        // Current If-Match: replaced by the (older) document, with a seq past the current one.
        const current = (await call("GET", "/api/graph")).headers.get("etag")!;
        const replaced = await okJson<Stats>("PUT", "/api/graph", 200, {
          body: document,
          headers: { "if-match": current },
        });
        expect(replaced.seq).toBeGreaterThan(before.seq);
        expect((await okJson<NodeRec>("GET", `/api/nodes/${p}`, 200)).data).toEqual({ v: 1 });
      });

      it("PUT /api/graph accepts a 2 MiB document (its limit is 64 MiB, not 1 MiB)", async () => {
        const p = uid("big");
        const nodes: Record<string, unknown> = {};
        for (let i = 0; i < 64; i++) nodes[`${p}_${i}`] = { type: "big", data: { blob: "x".repeat(33_000) } };
        const text = JSON.stringify({ nodes, edges: [], patterns: {} });
        expect(text.length).toBeGreaterThan(2 * MiB);
        const reply = await call("PUT", "/api/graph", { raw: text, contentType: "application/json" });
        expect(reply.status, reply.show()).toBe(200);
        expect(reply.json<Stats>().total_nodes).toBe(64);
        const node = await okJson<NodeRec>("GET", `/api/nodes/${p}_63`, 200);
        expect((node.data.blob as string).length).toBe(33_000);
      });

      it("PUT /api/graph with an invalid document is 400 and changes nothing", async () => {
        const p = uid("bad");
        await putNode(p, "keep");
        const before = await stats();
        const backupsBefore = await backupIds();
        const invalid: unknown[] = [
          [],
          "a string",
          {},
          { nodes: [] },
          { nodes: { a: { type: 5 } } },
          { nodes: { a: { type: "t" } }, edges: [{ from: "a", to: "missing", type: "x" }] },
          { nodes: { a: { type: "t" } }, edges: [{ from: "a", to: "a", type: "x", strength: 7 }] },
          { nodes: { ["x".repeat(300)]: { type: "t" } } },
        ];
        for (const body of invalid) {
          const reply = await call("PUT", "/api/graph", { body });
          expectError(reply, 400, "validation_error");
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
        expect(await nodeExists(p)).toBe(true);
      });

      it("PUT /api/graph refuses our format with a checksum that does not match its content (400)", async () => {
        const p = uid("sum");
        await putNode(p, "keep", { v: 1 });
        const document = await okJson<GraphDocument>("GET", "/api/graph", 200);
        const before = await stats();
        const backupsBefore = await backupIds();
        const tampered: GraphDocument[] = [
          { ...document, checksum: "0".repeat(64) },
          { ...document, nodes: { ...document.nodes, [p]: { ...document.nodes[p]!, data: { v: 2 } } } },
          { ...document, seq: document.seq + 1000 },
        ];
        for (const body of tampered) {
          expectError(await call("PUT", "/api/graph", { body }), 400, "validation_error");
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
        expect((await okJson<NodeRec>("GET", `/api/nodes/${p}`, 200)).data).toEqual({ v: 1 });
      });
    });

    // -------------------------------------------------------------------------- versions

    describe("save and versions", () => {
      it("POST /api/graph/save makes a version that GET /api/graph/versions lists newest first", async () => {
        await putNode(uid("sv"), "save");
        const saved = await okJson<{ id: string; checksum: string }>("POST", "/api/graph/save", 201);
        expect(saved.id).toMatch(TIMESTAMP_ID);
        expect(saved.checksum).toMatch(/^[0-9a-f]{64}$/);
        const versions = await okJson<Version[]>("GET", "/api/graph/versions", 200);
        const listed = versions.find((v) => v.id === saved.id);
        expect(listed).toBeDefined();
        expect(listed!.checksum).toBe(saved.checksum);
        expect(typeof listed!.created).toBe("string");
        expect(Number.isNaN(Date.parse(listed!.created))).toBe(false);
        expect(listed!.size).toBeGreaterThan(0);
        const ids = versions.map((v) => v.id);
        expect([...ids].sort(compareTimestampIdsDesc)).toEqual(ids);
        expect(ids[0]).toBe(saved.id);
      });

      it("restoring a version brings it back, after backing up the current state (so it can be undone)", async () => {
        const kept = uid("kept");
        const later = uid("later");
        await putNode(kept, "version_test", { v: 1 });
        const saved = await okJson<{ id: string }>("POST", "/api/graph/save", 201);
        expect((await call("DELETE", `/api/nodes/${kept}`)).status).toBe(204);
        expect(await nodeExists(kept)).toBe(false);
        await putNode(later, "version_test");
        const before = await stats();
        const backupsBefore = new Set(await backupIds());

        const restored = await okJson<Stats>("POST", `/api/graph/versions/${saved.id}/restore`, 200);
        expect(typeof restored.total_nodes).toBe("number");
        expect(restored.seq).toBeGreaterThan(before.seq);
        expect(await nodeExists(kept)).toBe(true);
        expect(await nodeExists(later)).toBe(false);

        const safety = (await backupIds())
          .filter((id) => !backupsBefore.has(id))
          .sort(compareTimestampIdsDesc);
        expect(safety.length).toBeGreaterThanOrEqual(1);
        // Undo: the safety backup holds the state from just before the restore.
        await okJson<Stats>("POST", `/api/backups/${safety[safety.length - 1]}/restore`, 200);
        expect(await nodeExists(later)).toBe(true);
        expect(await nodeExists(kept)).toBe(false);
      });

      it("restoring an unknown (well-formed) version is 404 and changes nothing", async () => {
        const before = await stats();
        expectError(await call("POST", "/api/graph/versions/19990101_000000/restore"), 404, "not_found");
        expectError(await call("POST", "/api/graph/versions/19990101_000000-7/restore"), 404, "not_found");
        expect(await stats()).toEqual(before);
      });
    });

    // -------------------------------------------------------------------------- integrity

    describe("integrity", () => {
      it("GET /api/integrity reports every file ok on a healthy store", async () => {
        await putNode(uid("integ"), "integrity");
        await okJson("POST", "/api/graph/save", 201);
        await okJson("POST", "/api/backups", 201);
        const report = await okJson<{ ok: boolean; files: { key: string; ok: boolean; error?: string }[] }>(
          "GET",
          "/api/integrity",
          200,
        );
        expect(Array.isArray(report.files)).toBe(true);
        expect(report.files.length).toBeGreaterThan(0);
        for (const file of report.files) {
          expect(typeof file.key).toBe("string");
          expect(typeof file.ok).toBe("boolean");
          if (file.error !== undefined) expect(typeof file.error).toBe("string");
        }
        expect(report.files.filter((f) => !f.ok)).toEqual([]);
        expect(report.ok).toBe(true);
      });
    });

    // -------------------------------------------------------------------------- nodes

    describe("nodes", () => {
      it("PUT creates (201) then replaces (200), GET reads with ETag, DELETE removes (204) with its edges", async () => {
        const id = uid("node");
        const other = uid("node");
        const created = await call("PUT", `/api/nodes/${id}`, {
          body: { type: "stock", data: { symbol: "AAPL", price: 255.5 } },
        });
        expect(created.status, created.show()).toBe(201);
        const node = created.json<NodeRec>();
        expect(node).toMatchObject({ id, type: "stock", data: { symbol: "AAPL", price: 255.5 } });
        expect(Number.isNaN(Date.parse(node.created_at))).toBe(false);
        expect(Number.isNaN(Date.parse(node.updated_at))).toBe(false);
        const createdEtag = created.headers.get("etag");
        expect(createdEtag).toMatch(/^(W\/)?"[^"]+"$/);

        const read = await call("GET", `/api/nodes/${id}`);
        expect(read.status).toBe(200);
        expect(read.json<NodeRec>()).toEqual(node);
        expect(read.headers.get("etag")).toBe(createdEtag);

        const replaced = await call("PUT", `/api/nodes/${id}`, { body: { type: "equity", data: { x: 1 } } });
        expect(replaced.status, replaced.show()).toBe(200);
        const after = replaced.json<NodeRec>();
        expect(after).toMatchObject({ id, type: "equity", data: { x: 1 }, created_at: node.created_at });
        expect(replaced.headers.get("etag")).not.toBe(createdEtag);
        // `data` defaults to {}.
        expect(
          (await okJson<NodeRec>("PUT", `/api/nodes/${other}`, 201, { body: { type: "t" } })).data,
        ).toEqual({});

        const edge = await okJson<EdgeRec>("POST", "/api/edges", 201, {
          body: { from: id, to: other, type: "x" },
        });
        const deleted = await call("DELETE", `/api/nodes/${id}`);
        expect(deleted.status, deleted.show()).toBe(204);
        expect(deleted.text).toBe("");
        expectError(await call("GET", `/api/nodes/${id}`), 404, "not_found");
        expectError(await call("GET", `/api/edges/${enc(edge.id)}`), 404, "not_found");
        expect(await okJson<unknown[]>("GET", `/api/nodes/${other}/influences`, 200)).toEqual([]);
        expectError(await call("DELETE", `/api/nodes/${id}`), 404, "not_found");
      });

      it("PATCH merges data as a JSON merge patch (200) and is 404 for an absent node", async () => {
        const id = uid("patch");
        await putNode(id, "t", { keep: 1, drop: 2, nested: { a: 1, b: 2 } });
        const patched = await okJson<NodeRec>("PATCH", `/api/nodes/${id}`, 200, {
          body: { data: { drop: null, nested: { b: null, c: 3 }, added: "x" } },
        });
        expect(patched.data).toEqual({ keep: 1, nested: { a: 1, c: 3 }, added: "x" });
        expect(patched.type).toBe("t");
        expect((await okJson<NodeRec>("GET", `/api/nodes/${id}`, 200)).data).toEqual(patched.data);
        const before = await seq();
        expectError(
          await call("PATCH", `/api/nodes/${uid("absent")}`, { body: { data: { a: 1 } } }),
          404,
          "not_found",
        );
        expectZodError(await call("PATCH", `/api/nodes/${id}`, { body: { data: [1, 2] } }));
        expectZodError(await call("PATCH", `/api/nodes/${id}`, { body: { type: "x" } }));
        expect(await seq()).toBe(before);
      });

      it("PUT validates its body: 400 validation_error with zod issues, nothing stored", async () => {
        const id = uid("val");
        const before = await seq();
        for (const body of [
          {},
          { type: "" },
          { type: 5 },
          { type: "t", data: "not an object" },
          { type: "t", data: [1] },
          { type: "x".repeat(1000) },
          [],
          null,
          "string",
        ]) {
          expectZodError(await call("PUT", `/api/nodes/${id}`, { body }));
        }
        expect(await seq()).toBe(before);
        expect(await nodeExists(id)).toBe(false);
      });

      it("If-Match on PUT/PATCH/DELETE: a stale ETag is 412 and changes nothing; the current one works", async () => {
        const id = uid("etag");
        await putNode(id, "t", { v: 1 });
        const first = (await call("GET", `/api/nodes/${id}`)).headers.get("etag")!;
        const updated = await call("PUT", `/api/nodes/${id}`, {
          body: { type: "t", data: { v: 2 } },
          headers: { "if-match": first },
        });
        expect(updated.status, updated.show()).toBe(200);
        const second = updated.headers.get("etag")!;
        expect(second).not.toBe(first);
        expect((await call("GET", `/api/nodes/${id}`)).headers.get("etag")).toBe(second);

        const before = await stats();
        const stale = { "if-match": first };
        expectError(
          await call("PUT", `/api/nodes/${id}`, { body: { type: "t", data: { v: 3 } }, headers: stale }),
          412,
          "precondition_failed",
        );
        expectError(
          await call("PATCH", `/api/nodes/${id}`, { body: { data: { v: 3 } }, headers: stale }),
          412,
          "precondition_failed",
        );
        expectError(await call("DELETE", `/api/nodes/${id}`, { headers: stale }), 412, "precondition_failed");
        expectError(
          await call("PUT", `/api/nodes/${id}`, { body: { type: "t" }, headers: { "if-match": '"nope"' } }),
          412,
          "precondition_failed",
        );
        // `*` only matches an existing node.
        const absent = uid("absent");
        expectError(
          await call("PUT", `/api/nodes/${absent}`, { body: { type: "t" }, headers: { "if-match": "*" } }),
          412,
          "precondition_failed",
        );
        expect(await stats()).toEqual(before);
        expect((await okJson<NodeRec>("GET", `/api/nodes/${id}`, 200)).data).toEqual({ v: 2 });
        expect(await nodeExists(absent)).toBe(false);

        const patched = await call("PATCH", `/api/nodes/${id}`, {
          body: { data: { w: 1 } },
          headers: { "if-match": `"x", ${second}` },
        });
        expect(patched.status, patched.show()).toBe(200);
        const third = patched.headers.get("etag")!;
        expect(
          (await call("PUT", `/api/nodes/${id}`, { body: { type: "t" }, headers: { "if-match": "*" } }))
            .status,
        ).toBe(200);
        const current = (await call("GET", `/api/nodes/${id}`)).headers.get("etag")!;
        expect(current).not.toBe(third);
        expect((await call("DELETE", `/api/nodes/${id}`, { headers: { "if-match": current } })).status).toBe(
          204,
        );
      });

      it("If-Match uses strong comparison: W/ + the current ETag is 412 on PUT/PATCH/DELETE and PUT /api/graph, and changes nothing", async () => {
        const id = uid("weak");
        await putNode(id, "t", { v: 1 });
        const etag = (await call("GET", `/api/nodes/${id}`)).headers.get("etag")!;
        expect(etag).toMatch(/^"/); // our tags are strong
        const graph = await call("GET", "/api/graph");
        const graphTag = graph.headers.get("etag")!;
        const before = await stats();
        const weak = { "if-match": `W/${etag}` };
        expectError(
          await call("PUT", `/api/nodes/${id}`, { body: { type: "t", data: { v: 2 } }, headers: weak }),
          412,
          "precondition_failed",
        );
        expectError(
          await call("PATCH", `/api/nodes/${id}`, { body: { data: { v: 2 } }, headers: weak }),
          412,
          "precondition_failed",
        );
        expectError(await call("DELETE", `/api/nodes/${id}`, { headers: weak }), 412, "precondition_failed");
        expectError(
          await call("PUT", "/api/graph", {
            body: graph.json<GraphDocument>(),
            headers: { "if-match": `W/${graphTag}` },
          }),
          412,
          "precondition_failed",
        );
        expect(await stats()).toEqual(before);
        const after = await call("GET", `/api/nodes/${id}`);
        expect(after.json<NodeRec>().data).toEqual({ v: 1 });
        expect(after.headers.get("etag")).toBe(etag);
      });

      it("GET /api/nodes filters by type and by q (id, data.name, data.symbol; case-insensitive; no regex)", async () => {
        const needle = uid("needle").replace("_", "");
        const type = uid("qtype");
        const byId = `q_${needle}_id`;
        const byName = uid("qn");
        const bySymbol = uid("qs");
        const byOther = uid("qo");
        const byNonString = uid("qx");
        await batch([
          { op: "put_node", id: byId, type, data: {} },
          { op: "put_node", id: byName, type, data: { name: `Big ${needle.toUpperCase()} Inc` } },
          { op: "put_node", id: bySymbol, type: "other", data: { symbol: needle.toUpperCase() } },
          { op: "put_node", id: byOther, type, data: { description: needle, ticker: needle } },
          { op: "put_node", id: byNonString, type, data: { name: 12345, symbol: [needle] } },
        ]);
        const search = async (q: string, extra = "") =>
          (await allPages<NodeRec>(`/api/nodes?q=${enc(q)}${extra}`)).map((n) => n.id).sort();
        const expected = [byId, byName, bySymbol].sort();
        expect(await search(needle)).toEqual(expected);
        expect(await search(needle.toUpperCase())).toEqual(expected);
        const mixed = [...needle].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join("");
        expect(await search(mixed)).toEqual(expected);
        expect(await search(needle.slice(2, 10))).toEqual(expected);
        expect(await search(needle, `&type=${type}`)).toEqual([byId, byName].sort());
        // q is a plain substring, never a regular expression.
        expect(await search(`${needle}.*`)).toEqual([]);
        expect(await search(`(${needle}`)).toEqual([]);
        expect(await search("[")).toEqual(expect.any(Array));
        // type alone.
        const ofType = (await allPages<NodeRec>(`/api/nodes?type=${type}`)).map((n) => n.id).sort();
        expect(ofType).toEqual([byId, byName, byOther, byNonString].sort());
        expect(await allPages<NodeRec>(`/api/nodes?type=${uid("none")}`)).toEqual([]);
      });

      it("limit defaults to 100 and is at most 1000; bad limits and cursors are 400", async () => {
        const type = uid("lim");
        const ids = Array.from({ length: 1005 }, (_, i) => `${type}_${pad(i)}`);
        await batch(ids.map((id) => ({ op: "put_node", id, type })));
        const first = await okJson<Page<NodeRec>>("GET", `/api/nodes?type=${type}`, 200);
        expect(first.items).toHaveLength(100);
        expect(typeof first.next_cursor).toBe("string");
        const max = await okJson<Page<NodeRec>>("GET", `/api/nodes?type=${type}&limit=1000`, 200);
        expect(max.items).toHaveLength(1000);
        expect(typeof max.next_cursor).toBe("string");
        const rest = await okJson<Page<NodeRec>>(
          "GET",
          `/api/nodes?type=${type}&limit=1000&cursor=${enc(max.next_cursor!)}`,
          200,
        );
        expect(rest.items).toHaveLength(5);
        expect(rest.next_cursor).toBeNull();
        expect(new Set([...max.items, ...rest.items].map((n) => n.id))).toEqual(new Set(ids));
        const one = await okJson<Page<NodeRec>>("GET", `/api/nodes?type=${type}&limit=1`, 200);
        expect(one.items).toHaveLength(1);
        for (const limit of ["1001", "0", "-1", "abc", "1.5", "100000"]) {
          expectZodError(await call("GET", `/api/nodes?limit=${limit}`));
          expectZodError(await call("GET", `/api/edges?limit=${limit}`));
        }
        for (const cursor of ["%%%", "!!!", "x".repeat(5000)]) {
          expectError(await call("GET", `/api/nodes?cursor=${enc(cursor)}`), 400, "validation_error");
        }
        await batch(ids.map((id) => ({ op: "delete_node", id })));
      });

      it("node pages stay stable while nodes are inserted and deleted between page requests", async () => {
        const p = uid("pg");
        const type = `${p}_t`;
        const stable = Array.from({ length: 40 }, (_, i) => `${p}_${pad(i * 4)}`);
        const volatile = Array.from({ length: 40 }, (_, i) => `${p}_${pad(i * 4 + 1)}`);
        const fresh = Array.from({ length: 80 }, (_, i) => `${p}_${pad(i * 2 + (i % 2 ? 0 : 2) + 1)}`).filter(
          (id) => !stable.includes(id) && !volatile.includes(id),
        );
        await batch([...stable, ...volatile].map((id) => ({ op: "put_node", id, type })));
        const random = lcg(42);
        const pending = [...volatile];
        const insert = [...fresh];

        for (const query of [`q=${p}&limit=7`, `type=${type}&limit=5`, "limit=50"]) {
          const seen: string[] = [];
          let cursor: string | null = null;
          for (let page = 0; page < 1000; page++) {
            const url: string = `/api/nodes?${query}${cursor === null ? "" : `&cursor=${enc(cursor)}`}`;
            const body: Page<NodeRec> = await okJson<Page<NodeRec>>("GET", url, 200);
            seen.push(...body.items.map((n) => n.id));
            cursor = body.next_cursor;
            if (cursor === null) break;
            // Change the graph between pages: delete some volatile nodes, insert new ones, anywhere.
            const ops: BatchOp[] = [];
            for (let k = 0; k < 2 && pending.length > 0; k++) {
              const [gone] = pending.splice(Math.floor(random() * pending.length), 1);
              ops.push({ op: "delete_node", id: gone! });
            }
            for (let k = 0; k < 2 && insert.length > 0; k++) {
              const [added] = insert.splice(Math.floor(random() * insert.length), 1);
              ops.push({ op: "put_node", id: added!, type });
            }
            if (ops.length > 0) await batch(ops);
          }
          expect(cursor, query).toBeNull();
          expect(new Set(seen).size, `${query}: no item repeated`).toBe(seen.length);
          const missing = stable.filter((id) => !seen.includes(id));
          expect(missing, `${query}: nodes that existed throughout are all listed`).toEqual([]);
        }
        const left = await allPages<NodeRec>(`/api/nodes?q=${p}&limit=1000`);
        await batch(left.map((n) => ({ op: "delete_node", id: n.id })));
      });

      it("ids `__proto__`, `constructor`, `prototype` are ordinary node ids and node types", async () => {
        for (const id of ["__proto__", "constructor", "prototype"]) {
          const put = await call("PUT", `/api/nodes/${id}`, { body: { type: id, data: { name: id } } });
          expect([200, 201], put.show()).toContain(put.status);
          const node = await okJson<NodeRec>("GET", `/api/nodes/${id}`, 200);
          expect(node.id).toBe(id);
          expect(node.type).toBe(id);
          expect(Object.hasOwn(node.data, "name")).toBe(true);
          const patched = await okJson<NodeRec>("PATCH", `/api/nodes/${id}`, 200, {
            body: { data: { v: 1 } },
          });
          expect(patched.data).toEqual({ name: id, v: 1 });
          const s = await stats();
          expect(Object.hasOwn(s.node_types, id)).toBe(true);
          expect(s.node_types[id]).toBeGreaterThanOrEqual(1);
          const listed = await allPages<NodeRec>(`/api/nodes?type=${id}`);
          expect(listed.map((n) => n.id)).toContain(id);
        }
        const edge = await okJson<EdgeRec>("POST", "/api/edges", 201, {
          body: { from: "__proto__", to: "constructor", type: "prototype", id: `prototype_${uid("e")}` },
        });
        expect(await okJson<unknown[]>("GET", "/api/nodes/constructor/influences", 200)).toContainEqual(
          expect.objectContaining({ from: "__proto__", type: "prototype" }),
        );
        expect((await okJson<EdgeRec>("GET", `/api/edges/${edge.id}`, 200)).from).toBe("__proto__");
        for (const id of ["__proto__", "constructor", "prototype"]) {
          expect((await call("DELETE", `/api/nodes/${id}`)).status).toBe(204);
          expect(await nodeExists(id)).toBe(false);
        }
        expectError(await call("GET", `/api/edges/${edge.id}`), 404, "not_found");
      });

      it("keys `__proto__`, `constructor`, `prototype` inside data are kept as plain data (or refused with 400), never dropped", async () => {
        const id = uid("keys");
        const text = `{"type":"t","data":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"x":1}},"prototype":1,"plain":2}}`;
        const before = await seq();
        const reply = await call("PUT", `/api/nodes/${id}`, { raw: text, contentType: "application/json" });
        if (reply.status === 400) {
          expectError(reply, 400, "validation_error");
          expect(await seq()).toBe(before);
          expect(await nodeExists(id)).toBe(false);
          return;
        }
        expect(reply.status, reply.show()).toBe(201);
        const got = await call("GET", `/api/nodes/${id}`);
        const data = got.json<NodeRec>().data;
        expect(Object.keys(data).sort(), got.show()).toEqual([
          "__proto__",
          "constructor",
          "plain",
          "prototype",
        ]);
        expect(JSON.parse(got.text).data).toEqual(JSON.parse(text).data);
        // And nothing leaked into other objects on the server.
        const other = uid("clean");
        expect((await putNode(other, "t")).data).toEqual({});
        expect(Object.keys((await okJson<NodeRec>("GET", `/api/nodes/${other}`, 200)).data)).toEqual([]);
      });

      it("a 300-character id and an empty id are 400 or 404, and store nothing", async () => {
        const long = "a".repeat(300);
        const before = await seq();
        for (const [method, body] of [
          ["GET", undefined],
          ["PUT", { type: "t" }],
          ["PATCH", { data: {} }],
          ["DELETE", undefined],
        ] as const) {
          expectError(
            await call(method, `/api/nodes/${long}`, body ? { body } : {}),
            400,
            "validation_error",
          );
          expectError(await call(method, "/api/nodes/", body ? { body } : {}), [400, 404]);
        }
        expectError(await call("GET", `/api/nodes/${long}/influences`), 400, "validation_error");
        expectError(
          await call("PUT", `/api/patterns/${long}`, { body: { type: "T" } }),
          400,
          "validation_error",
        );
        expectError(await call("PUT", "/api/patterns/", { body: { type: "T" } }), [400, 404]);
        expectError(await call("GET", `/api/edges/${long}`), 400, "validation_error");
        expectError(await call("POST", "/api/edges", { body: { from: long, to: "a", type: "t" } }), 400);
        expectError(await call("POST", "/api/edges", { body: { from: "", to: "a", type: "t" } }), 400);
        expectError(
          await call("POST", "/api/batch", { body: { ops: [{ op: "put_node", id: "", type: "t" }] } }),
          400,
        );
        expectError(
          await call("POST", "/api/batch", { body: { ops: [{ op: "put_node", id: long, type: "t" }] } }),
          400,
        );
        // 256 characters is still fine (SPEC: 1-256).
        const max = `${uid("m")}${"b".repeat(256)}`.slice(0, 256);
        expect((await call("PUT", `/api/nodes/${max}`, { body: { type: "t" } })).status).toBe(201);
        expect(await seq()).toBe(before + 1);
        expect((await call("DELETE", `/api/nodes/${max}`)).status).toBe(204);
      });
    });

    // -------------------------------------------------------------------------- traversal

    describe("influences, neighbors, paths", () => {
      it("GET /api/nodes/:id/influences lists the edges into the node", async () => {
        const [a, b, c] = [uid("ia"), uid("ib"), uid("ic")];
        await batch([
          { op: "put_node", id: a, type: "t" },
          { op: "put_node", id: b, type: "t" },
          { op: "put_node", id: c, type: "t" },
          { op: "add_edge", from: a, to: c, type: "drives", strength: 0.5 },
          { op: "add_edge", from: b, to: c, type: "pressures", strength: 0.9 },
          { op: "add_edge", from: c, to: a, type: "outgoing", strength: 0.1 },
        ]);
        const influences = await okJson<{ from: string; type: string; strength: number }[]>(
          "GET",
          `/api/nodes/${c}/influences`,
          200,
        );
        expect(influences).toHaveLength(2);
        expect(influences).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ from: a, type: "drives", strength: 0.5 }),
            expect.objectContaining({ from: b, type: "pressures", strength: 0.9 }),
          ]),
        );
        expect(await okJson<unknown[]>("GET", `/api/nodes/${b}/influences`, 200)).toEqual([]);
        expectError(await call("GET", `/api/nodes/${uid("none")}/influences`), 404, "not_found");
      });

      it("GET /api/nodes/:id/neighbors follows direction, depth and edge_type", async () => {
        const [a, b, c, d] = [uid("na"), uid("nb"), uid("nc"), uid("nd")];
        await batch([
          ...[a, b, c, d].map((id) => ({ op: "put_node", id, type: "t" })),
          { op: "add_edge", from: a, to: b, type: "x", strength: 0.5 },
          { op: "add_edge", from: b, to: c, type: "y", strength: 0.5 },
          { op: "add_edge", from: d, to: a, type: "x", strength: 0.5 },
        ]);
        const ids = async (query: string) => {
          const n = await okJson<{ nodes: NodeRec[]; edges: EdgeRec[] }>(
            "GET",
            `/api/nodes/${a}/neighbors${query}`,
            200,
          );
          expect(Array.isArray(n.edges)).toBe(true);
          return n.nodes.map((node) => node.id).sort();
        };
        expect(await ids("?direction=out&depth=1")).toEqual([b]);
        expect(await ids("?direction=out&depth=2")).toEqual([b, c].sort());
        expect(await ids("?direction=in")).toEqual([d]);
        expect(await ids("")).toEqual([b, d].sort());
        expect(await ids("?direction=both&depth=5")).toEqual([b, c, d].sort());
        expect(await ids("?direction=out&depth=3&edge_type=x")).toEqual([b]);
        const withEdges = await okJson<{ nodes: NodeRec[]; edges: EdgeRec[] }>(
          "GET",
          `/api/nodes/${a}/neighbors?direction=out&depth=2`,
          200,
        );
        expect(withEdges.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(
          [`${a}>${b}`, `${b}>${c}`].sort(),
        );
        for (const bad of ["?depth=0", "?depth=6", "?depth=x", "?direction=sideways"]) {
          expectZodError(await call("GET", `/api/nodes/${a}/neighbors${bad}`));
        }
        expectError(await call("GET", `/api/nodes/${uid("none")}/neighbors`), 404, "not_found");
      });

      it("GET /api/paths: strength is the product, strongest first, at most 20, within max_depth", async () => {
        const [a, b, c, d] = [uid("pa"), uid("pb"), uid("pc"), uid("pd")];
        await batch([
          ...[a, b, c, d].map((id) => ({ op: "put_node", id, type: "t" })),
          { op: "add_edge", id: `${a}_b`, from: a, to: b, type: "x", strength: 0.5 },
          { op: "add_edge", id: `${b}_d`, from: b, to: d, type: "x", strength: 0.5 },
          { op: "add_edge", id: `${a}_c`, from: a, to: c, type: "x", strength: 0.9 },
          { op: "add_edge", id: `${c}_d`, from: c, to: d, type: "x", strength: 0.8 },
          { op: "add_edge", id: `${a}_d`, from: a, to: d, type: "x", strength: 0.3 },
        ]);
        const found = await okJson<{ nodes: string[]; edges: string[]; strength: number }[]>(
          "GET",
          `/api/paths?from=${a}&to=${d}`,
          200,
        );
        expect(found.map((p) => p.nodes)).toEqual([
          [a, c, d],
          [a, d],
          [a, b, d],
        ]);
        expect(found.map((p) => p.edges)).toEqual([[`${a}_c`, `${c}_d`], [`${a}_d`], [`${a}_b`, `${b}_d`]]);
        expect(found[0]!.strength).toBeCloseTo(0.72, 10);
        expect(found[1]!.strength).toBeCloseTo(0.3, 10);
        expect(found[2]!.strength).toBeCloseTo(0.25, 10);
        const direct = await okJson<{ nodes: string[] }[]>(
          "GET",
          `/api/paths?from=${a}&to=${d}&max_depth=1`,
          200,
        );
        expect(direct.map((p) => p.nodes)).toEqual([[a, d]]);
        expect(await okJson<unknown[]>("GET", `/api/paths?from=${d}&to=${a}`, 200)).toEqual([]);

        // More than 20 paths: only the 20 strongest come back, in order.
        const hub = uid("hub");
        const sink = uid("sink");
        const mids = Array.from({ length: 25 }, (_, i) => `${hub}_m${pad(i, 2)}`);
        await batch([
          { op: "put_node", id: hub, type: "t" },
          { op: "put_node", id: sink, type: "t" },
          ...mids.flatMap((m, i) => [
            { op: "put_node", id: m, type: "t" },
            { op: "add_edge", from: hub, to: m, type: "x", strength: (i + 1) / 25 },
            { op: "add_edge", from: m, to: sink, type: "x", strength: 1 },
          ]),
        ]);
        const many = await okJson<{ strength: number }[]>("GET", `/api/paths?from=${hub}&to=${sink}`, 200);
        expect(many).toHaveLength(20);
        const strengths = many.map((p) => p.strength);
        expect(strengths).toEqual([...strengths].sort((x, y) => y - x));
        expect(strengths[0]).toBeCloseTo(1, 10);
        expect(strengths[19]).toBeCloseTo(6 / 25, 10);

        for (const bad of [
          `?from=${a}`,
          `?to=${d}`,
          `?from=${a}&to=${d}&max_depth=0`,
          `?from=${a}&to=${d}&max_depth=x`,
        ]) {
          expectZodError(await call("GET", `/api/paths${bad}`));
        }
        expectError(await call("GET", `/api/paths?from=${uid("none")}&to=${d}`), 404, "not_found");
      });
    });

    // -------------------------------------------------------------------------- edges

    describe("edges", () => {
      it("POST creates (201), GET reads, duplicate id is 409, unknown endpoints 404 unknown_node, DELETE 204", async () => {
        const [a, b] = [uid("ea"), uid("eb")];
        await putNode(a, "t");
        await putNode(b, "t");
        const id = uid("edge");
        const created = await okJson<EdgeRec>("POST", "/api/edges", 201, {
          body: { id, from: a, to: b, type: "drives", strength: 0.4, metadata: { source: "test" } },
        });
        expect(created).toMatchObject({ id, from: a, to: b, type: "drives", strength: 0.4 });
        expect(Number.isNaN(Date.parse(created.created_at))).toBe(false);
        expect(await okJson<EdgeRec>("GET", `/api/edges/${id}`, 200)).toEqual(created);

        const before = await stats();
        expectError(
          await call("POST", "/api/edges", { body: { id, from: b, to: a, type: "other" } }),
          409,
          "conflict",
        );
        expectError(
          await call("POST", "/api/edges", { body: { from: a, to: uid("ghost"), type: "x" } }),
          404,
          "unknown_node",
        );
        expectError(
          await call("POST", "/api/edges", { body: { from: uid("ghost"), to: a, type: "x" } }),
          404,
          "unknown_node",
        );
        for (const body of [
          { from: a, to: b },
          { from: a, to: b, type: "x", strength: 1.5 },
          { from: a, to: b, type: "x", strength: -0.1 },
          { from: a, to: b, type: "x", strength: "0.5" },
          { from: a, type: "x" },
          { from: a, to: b, type: "x", metadata: [1] },
          { from: a, to: b, type: "x", id: "" },
        ]) {
          expectZodError(await call("POST", "/api/edges", { body }));
        }
        expect(await stats()).toEqual(before);

        // Without an id: one is generated; strength is a number in [0, 1].
        const generated = await okJson<EdgeRec>("POST", "/api/edges", 201, {
          body: { from: b, to: a, type: "back" },
        });
        expect(generated.id.length).toBeGreaterThan(0);
        expect(generated.strength).toBeGreaterThanOrEqual(0);
        expect(generated.strength).toBeLessThanOrEqual(1);

        expect((await call("DELETE", `/api/edges/${id}`)).status).toBe(204);
        expectError(await call("GET", `/api/edges/${id}`), 404, "not_found");
        expectError(await call("DELETE", `/api/edges/${id}`), 404, "not_found");
        expect(await nodeExists(a)).toBe(true);
      });

      it("GET /api/edges filters by from, to and type and pages stably while edges change", async () => {
        const hub = uid("eh");
        const type = uid("etype");
        const spokes = Array.from({ length: 30 }, (_, i) => `${hub}_s${pad(i, 2)}`);
        await batch([
          { op: "put_node", id: hub, type: "t" },
          ...spokes.map((id) => ({ op: "put_node", id, type: "t" })),
          ...spokes.map((s, i) => ({ op: "add_edge", id: `${hub}_e${pad(i, 2)}`, from: hub, to: s, type })),
          { op: "add_edge", id: `${hub}_back`, from: spokes[0]!, to: hub, type: "other" },
        ]);
        const byFrom = await allPages<EdgeRec>(`/api/edges?from=${hub}&limit=7`);
        expect(byFrom).toHaveLength(30);
        expect(byFrom.every((e) => e.from === hub && e.type === type)).toBe(true);
        const byTo = await allPages<EdgeRec>(`/api/edges?to=${hub}`);
        expect(byTo.map((e) => e.id)).toEqual([`${hub}_back`]);
        const byType = await allPages<EdgeRec>(`/api/edges?type=${type}&limit=4`);
        expect(byType).toHaveLength(30);
        expect(await allPages<EdgeRec>(`/api/edges?from=${hub}&type=other`)).toEqual([]);
        expect(await allPages<EdgeRec>(`/api/edges?from=${spokes[0]}&to=${hub}`)).toHaveLength(1);

        // Stable paging: edges 0-14 stay; 15-29 are deleted and new ones added between pages.
        const random = lcg(7);
        const stable = spokes.slice(0, 15).map((_, i) => `${hub}_e${pad(i, 2)}`);
        const pending = spokes.slice(15).map((_, i) => `${hub}_e${pad(i + 15, 2)}`);
        let added = 0;
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 100; page++) {
          const url: string = `/api/edges?type=${type}&limit=4${cursor === null ? "" : `&cursor=${enc(cursor)}`}`;
          const body: Page<EdgeRec> = await okJson<Page<EdgeRec>>("GET", url, 200);
          seen.push(...body.items.map((e) => e.id));
          cursor = body.next_cursor;
          if (cursor === null) break;
          const ops: BatchOp[] = [];
          if (pending.length > 0) {
            ops.push({ op: "delete_edge", id: pending.splice(Math.floor(random() * pending.length), 1)[0]! });
          }
          ops.push({
            op: "add_edge",
            id: `${hub}_e${pad(Math.floor(random() * 30), 2)}_n${added++}`,
            from: hub,
            to: spokes[0]!,
            type,
          });
          await batch(ops);
        }
        expect(cursor).toBeNull();
        expect(new Set(seen).size).toBe(seen.length);
        expect(stable.filter((id) => !seen.includes(id))).toEqual([]);
      });
    });

    // -------------------------------------------------------------------------- patterns

    describe("patterns", () => {
      it("CRUD: PUT 201/200, GET one and the map, DELETE 204, 404s, validation", async () => {
        const id = uid("pat");
        const pattern = {
          type: uid("T"),
          description: "Goldilocks to Overheating",
          trigger_conditions: ["CPI > 4%", "GDP > 3%"],
          confidence: 0.75,
          custom: { kept: [1, 2] },
        };
        expect((await call("PUT", `/api/patterns/${id}`, { body: pattern })).status).toBe(201);
        expect(await okJson("GET", `/api/patterns/${id}`, 200)).toMatchObject(pattern);
        const replaced = await call("PUT", `/api/patterns/${id}`, { body: { ...pattern, confidence: 0.5 } });
        expect(replaced.status, replaced.show()).toBe(200);
        expect(replaced.json()).toMatchObject({ confidence: 0.5 });
        const all = await okJson<Record<string, unknown>>("GET", "/api/patterns", 200);
        expect(all[id]).toMatchObject({ ...pattern, confidence: 0.5 });

        const before = await stats();
        for (const body of [
          { confidence: 1.5 },
          { confidence: "high" },
          { trigger_conditions: "CPI > 4" },
          { trigger_conditions: [1, 2] },
          { type: "" },
          { nodes: "GDP" },
          [],
          "x",
        ]) {
          expectZodError(await call("PUT", `/api/patterns/${id}`, { body }));
        }
        expect(await stats()).toEqual(before);

        expect((await call("DELETE", `/api/patterns/${id}`)).status).toBe(204);
        expectError(await call("GET", `/api/patterns/${id}`), 404, "not_found");
        expectError(await call("DELETE", `/api/patterns/${id}`), 404, "not_found");
        expect(Object.hasOwn(await okJson<Record<string, unknown>>("GET", "/api/patterns", 200), id)).toBe(
          false,
        );
      });

      it("GET /api/patterns/evaluate reports each condition's value and result", async () => {
        const node = uid("ev");
        const hot = uid("hot");
        const cold = uid("cold");
        const missing = uid("miss");
        await putNode(node, "indicator", { value: 5, yoy: "3.5%", other: 1 });
        await okJson("PUT", `/api/patterns/${hot}`, 201, {
          body: {
            type: "X",
            trigger_conditions: [`${node} > 4%`, `${node}.data.other <= 1`, `${node}.yoy >= 3`],
          },
        });
        await okJson("PUT", `/api/patterns/${cold}`, 201, {
          body: { type: "X", trigger_conditions: [`${node} > 4`, `${node}.data.other != 1`] },
        });
        await okJson("PUT", `/api/patterns/${missing}`, 201, {
          body: { type: "X", trigger_conditions: [`${uid("ghost")} > 1`] },
        });
        const evaluations = await okJson<PatternEvaluation[]>("GET", "/api/patterns/evaluate", 200);
        const byId = new Map(evaluations.map((e) => [e.id, e]));
        const h = byId.get(hot)!;
        expect(h).toMatchObject({ id: hot, type: "X", triggered: true });
        expect(h.conditions).toEqual([
          { expr: `${node} > 4%`, value: 5, result: true },
          { expr: `${node}.data.other <= 1`, value: 1, result: true },
          expect.objectContaining({ expr: `${node}.yoy >= 3`, result: true }),
        ]);
        const c = byId.get(cold)!;
        expect(c.triggered).toBe(false);
        expect(c.conditions.map((x) => x.result)).toEqual([true, false]);
        const m = byId.get(missing)!;
        expect(m.triggered).not.toBe(true);
        expect(m.conditions[0]).toMatchObject({ value: null, result: null });
        for (const id of [hot, cold, missing])
          expect((await call("DELETE", `/api/patterns/${id}`)).status).toBe(204);
      });

      it("GET /api/patterns/types/:type/nodes lists the nodes patterns of that type name", async () => {
        const type = uid("PT");
        const [a, b, c, d, e] = [uid("ta"), uid("tb"), uid("tc"), uid("td"), uid("te")];
        await batch([a, b, c, d, e].map((id) => ({ op: "put_node", id, type: "t" })));
        await okJson("PUT", `/api/patterns/${uid("p1")}`, 201, {
          body: { type, trigger_conditions: [`${a} > 1`], nodes: [b] },
        });
        await okJson("PUT", `/api/patterns/${uid("p2")}`, 201, { body: { type, from: c, to: d } });
        await okJson("PUT", `/api/patterns/${uid("p3")}`, 201, { body: { type: uid("other"), nodes: [e] } });
        const nodes = await okJson<NodeRec[]>("GET", `/api/patterns/types/${type}/nodes`, 200);
        expect(nodes.map((n) => n.id).sort()).toEqual([a, b, c, d].sort());
        expect(nodes[0]).toHaveProperty("type", "t");
        expect(await okJson<unknown[]>("GET", `/api/patterns/types/${uid("none")}/nodes`, 200)).toEqual([]);
      });

      it("ids `__proto__`, `constructor`, `prototype` are ordinary pattern ids", async () => {
        for (const id of ["__proto__", "constructor", "prototype"]) {
          const put = await call("PUT", `/api/patterns/${id}`, { body: { type: id, description: id } });
          expect([200, 201], put.show()).toContain(put.status);
          expect(await okJson("GET", `/api/patterns/${id}`, 200)).toMatchObject({
            type: id,
            description: id,
          });
        }
        const all = await call("GET", "/api/patterns");
        const map = all.json<Record<string, { type: string }>>();
        for (const id of ["__proto__", "constructor", "prototype"]) {
          expect(Object.hasOwn(map, id), all.show()).toBe(true);
          expect(map[id]!.type).toBe(id);
          expect((await call("DELETE", `/api/patterns/${id}`)).status).toBe(204);
          expectError(await call("GET", `/api/patterns/${id}`), 404, "not_found");
        }
      });
    });

    // -------------------------------------------------------------------------- batch

    describe("batch", () => {
      it("applies every op kind all together: 200 {applied, seq}", async () => {
        const [a, b, gone] = [uid("ba"), uid("bb"), uid("bg")];
        const edge = uid("be");
        const pat = uid("bp");
        const oldPat = uid("bo");
        const oldEdge = uid("bx");
        await batch([
          { op: "put_node", id: gone, type: "t" },
          { op: "put_node", id: a, type: "t", data: { v: 1 } },
          { op: "add_edge", id: oldEdge, from: a, to: gone, type: "x" },
          { op: "put_pattern", id: oldPat, pattern: { type: "P" } },
        ]);
        const before = await seq();
        const result = await batch([
          { op: "put_node", id: b, type: "t", data: { w: 1 } },
          { op: "patch_node", id: a, data: { v: null, u: 2 } },
          { op: "add_edge", id: edge, from: a, to: b, type: "x", strength: 0.5 },
          { op: "delete_edge", id: oldEdge },
          { op: "delete_node", id: gone },
          { op: "put_pattern", id: pat, pattern: { type: "P", nodes: [a] } },
          { op: "delete_pattern", id: oldPat },
        ]);
        expect(result.applied).toBe(7);
        expect(result.seq).toBeGreaterThan(before);
        expect(result.seq).toBe(await seq());
        expect((await okJson<NodeRec>("GET", `/api/nodes/${a}`, 200)).data).toEqual({ u: 2 });
        expect(await nodeExists(b)).toBe(true);
        expect(await nodeExists(gone)).toBe(false);
        expect((await okJson<EdgeRec>("GET", `/api/edges/${edge}`, 200)).strength).toBe(0.5);
        expectError(await call("GET", `/api/edges/${oldEdge}`), 404, "not_found");
        expect(await okJson("GET", `/api/patterns/${pat}`, 200)).toMatchObject({ type: "P" });
        expectError(await call("GET", `/api/patterns/${oldPat}`), 404, "not_found");
      });

      it("is all or nothing: the failing op's index is in details and nothing is applied", async () => {
        const existing = uid("bex");
        await putNode(existing, "t", { v: 1 });
        const fresh = [uid("bf"), uid("bf")];
        const cases: { ops: BatchOp[]; index: number }[] = [
          {
            index: 2,
            ops: [
              { op: "put_node", id: fresh[0]!, type: "t" },
              { op: "put_node", id: fresh[1]!, type: "t" },
              { op: "add_edge", from: fresh[0]!, to: uid("ghost"), type: "x" },
            ],
          },
          {
            index: 1,
            ops: [
              { op: "put_node", id: fresh[0]!, type: "t" },
              { op: "patch_node", id: uid("ghost"), data: { a: 1 } },
            ],
          },
          {
            index: 3,
            ops: [
              { op: "patch_node", id: existing, data: { v: 2 } },
              { op: "put_node", id: fresh[0]!, type: "t" },
              { op: "delete_node", id: fresh[0]! },
              { op: "delete_node", id: fresh[0]! },
            ],
          },
          {
            index: 1,
            ops: [
              { op: "delete_node", id: existing },
              { op: "patch_node", id: existing, data: { v: 3 } },
            ],
          },
          {
            index: 2,
            ops: [
              { op: "put_node", id: fresh[0]!, type: "t" },
              { op: "add_edge", id: `${fresh[0]}_e`, from: fresh[0]!, to: existing, type: "x" },
              { op: "add_edge", id: `${fresh[0]}_e`, from: existing, to: fresh[0]!, type: "y" },
            ],
          },
          {
            index: 1,
            ops: [
              { op: "put_pattern", id: fresh[1]!, pattern: { type: "P" } },
              { op: "delete_edge", id: uid("ghost") },
            ],
          },
        ];
        for (const { ops, index } of cases) {
          const before = await stats();
          const reply = await call("POST", "/api/batch", { body: { ops } });
          const body = expectError(reply, 400, "validation_error");
          expect(body.error.details, reply.show()).toMatchObject({ index });
          expect(await stats()).toEqual(before);
          for (const id of fresh) expect(await nodeExists(id)).toBe(false);
          expectError(await call("GET", `/api/patterns/${fresh[1]}`), 404, "not_found");
          expect((await okJson<NodeRec>("GET", `/api/nodes/${existing}`, 200)).data).toEqual({ v: 1 });
        }
      });

      it("schema errors name the op's index in the zod issue path; an empty batch is 400", async () => {
        const before = await seq();
        const fresh = uid("bz");
        const invalid: [unknown, number][] = [
          [{ ops: [{ op: "put_node", id: fresh, type: "t" }, { op: "bogus" }] }, 1],
          [
            {
              ops: [
                { op: "put_node", id: fresh, type: "t" },
                { op: "put_node", id: fresh },
              ],
            },
            1,
          ],
          [
            {
              ops: [
                { op: "put_node", id: fresh, type: "t" },
                { op: "put_node", id: `${fresh}2`, type: "t" },
                { op: "add_edge", from: fresh, to: fresh, type: "x", strength: 9 },
              ],
            },
            2,
          ],
        ];
        for (const [body, index] of invalid) {
          const issues = expectZodError(await call("POST", "/api/batch", { body }));
          expect(
            issues.some((i) => i.path[0] === "ops" && i.path[1] === index),
            JSON.stringify(issues),
          ).toBe(true);
        }
        for (const body of [{ ops: [] }, { ops: "x" }, {}, { ops: [null] }]) {
          expectZodError(await call("POST", "/api/batch", { body }));
        }
        expect(await seq()).toBe(before);
        expect(await nodeExists(fresh)).toBe(false);
      });
    });

    // -------------------------------------------------------------------------- backups

    describe("backups", () => {
      it("POST makes a backup (201) that GET lists newest first; DELETE removes it (204); unknown ids 404", async () => {
        await putNode(uid("bk"), "backup");
        const made = await okJson<Backup>("POST", "/api/backups", 201);
        expect(made.id).toMatch(TIMESTAMP_ID);
        expect(Number.isNaN(Date.parse(made.created))).toBe(false);
        expect(made.files.map((f) => f.name)).toContain("graph.json");
        for (const file of made.files) {
          expect(typeof file.name).toBe("string");
          expect(file.size).toBeGreaterThan(0);
          expect(file.checksum).toMatch(/^[0-9a-f]{64}$/);
        }
        const list = await okJson<Backup[]>("GET", "/api/backups", 200);
        const ids = list.map((b) => b.id);
        expect(ids).toContain(made.id);
        expect([...ids].sort(compareTimestampIdsDesc)).toEqual(ids);
        expect(list.find((b) => b.id === made.id)).toMatchObject({ id: made.id, files: made.files });

        const second = await okJson<Backup>("POST", "/api/backups", 201);
        expect(second.id).not.toBe(made.id);
        expect(compareTimestampIdsDesc(second.id, made.id)).toBeLessThan(0);

        expect((await call("DELETE", `/api/backups/${made.id}`)).status).toBe(204);
        expect(await backupIds()).not.toContain(made.id);
        expectError(await call("DELETE", `/api/backups/${made.id}`), 404, "not_found");
        expectError(await call("POST", `/api/backups/${made.id}/restore`), 404, "not_found");
        expectError(await call("POST", "/api/backups/19990101_000000/restore"), 404, "not_found");
        expectError(await call("DELETE", "/api/backups/19990101_000000-3"), 404, "not_found");
      });

      it("restoring a backup brings its graph back, after backing up the current state first", async () => {
        const inBackup = uid("inb");
        const afterBackup = uid("afb");
        await putNode(inBackup, "t", { v: 1 });
        const backup = await okJson<Backup>("POST", "/api/backups", 201);
        await putNode(afterBackup, "t");
        await okJson<NodeRec>("PATCH", `/api/nodes/${inBackup}`, 200, { body: { data: { v: 2 } } });
        const before = await stats();
        const backupsBefore = new Set(await backupIds());

        const restored = await okJson<Stats>("POST", `/api/backups/${backup.id}/restore`, 200);
        expect(restored.seq).toBeGreaterThan(before.seq);
        expect(await nodeExists(afterBackup)).toBe(false);
        expect((await okJson<NodeRec>("GET", `/api/nodes/${inBackup}`, 200)).data).toEqual({ v: 1 });
        expect((await stats()).seq).toBe(restored.seq);

        const safety = (await backupIds()).filter((id) => !backupsBefore.has(id));
        expect(safety.length).toBeGreaterThanOrEqual(1);
        await okJson<Stats>(
          "POST",
          `/api/backups/${safety.sort(compareTimestampIdsDesc).at(-1)}/restore`,
          200,
        );
        expect(await nodeExists(afterBackup)).toBe(true);
        expect((await okJson<NodeRec>("GET", `/api/nodes/${inBackup}`, 200)).data).toEqual({ v: 2 });
      });
    });

    // -------------------------------------------------------------------------- sessions

    describe("sessions", () => {
      it("POST creates (201) an unguessable id; GET reads it; a message POST answers 201 with the stored message", async () => {
        const session = await okJson<Session>("POST", "/api/sessions", 201);
        expect(session.id).toMatch(/^[0-9a-zA-Z_-]{22,}$/);
        expect(Number.isNaN(Date.parse(session.created))).toBe(false);
        expect(session.chat_history).toEqual([]);
        const other = await okJson<Session>("POST", "/api/sessions", 201);
        expect(other.id).not.toBe(session.id);
        expect(await okJson<Session>("GET", `/api/sessions/${session.id}`, 200)).toEqual(session);

        const first = await okJson<ChatMessage>("POST", `/api/sessions/${session.id}/messages`, 201, {
          body: { role: "user", content: "What is the regime?" },
        });
        // The stored message only, not the session (which can be 1,000 messages long).
        expect(Object.keys(first).sort()).toEqual(["at", "content", "role"]);
        expect(first).toMatchObject({ role: "user", content: "What is the regime?" });
        expect(Number.isNaN(Date.parse(first.at))).toBe(false);
        const second = await okJson<ChatMessage>("POST", `/api/sessions/${session.id}/messages`, 201, {
          body: { role: "assistant", content: "Goldilocks." },
        });
        expect(second).toMatchObject({ role: "assistant", content: "Goldilocks." });
        expect(await okJson<Session>("GET", `/api/sessions/${session.id}`, 200)).toEqual({
          ...session,
          chat_history: [first, second],
        });
        expect((await okJson<Session>("GET", `/api/sessions/${other.id}`, 200)).chat_history).toEqual([]);
      });

      it("concurrent message POSTs to one session all land, each as answered", async () => {
        const session = await okJson<Session>("POST", "/api/sessions", 201);
        const contents = Array.from({ length: 20 }, (_, i) => `concurrent ${i}`);
        const answers = await Promise.all(
          contents.map((content) =>
            okJson<ChatMessage>("POST", `/api/sessions/${session.id}/messages`, 201, {
              body: { role: "user", content },
            }),
          ),
        );
        const history = (await okJson<Session>("GET", `/api/sessions/${session.id}`, 200)).chat_history;
        expect(history.map((m) => m.content).sort()).toEqual([...contents].sort());
        for (const answer of answers) expect(history).toContainEqual(answer);
      });

      it("DELETE removes a session (204); then GET, POST and DELETE are 404; others are untouched", async () => {
        const gone = await okJson<Session>("POST", "/api/sessions", 201);
        const kept = await okJson<Session>("POST", "/api/sessions", 201);
        await okJson<ChatMessage>("POST", `/api/sessions/${gone.id}/messages`, 201, {
          body: { role: "user", content: "forget me" },
        });
        await okJson<ChatMessage>("POST", `/api/sessions/${kept.id}/messages`, 201, {
          body: { role: "user", content: "keep me" },
        });
        const deleted = await call("DELETE", `/api/sessions/${gone.id}`);
        expect(deleted.status, deleted.show()).toBe(204);
        expect(deleted.text).toBe("");
        expectError(await call("GET", `/api/sessions/${gone.id}`), 404, "not_found");
        expectError(
          await call("POST", `/api/sessions/${gone.id}/messages`, { body: { role: "user", content: "x" } }),
          404,
          "not_found",
        );
        expectError(await call("DELETE", `/api/sessions/${gone.id}`), 404, "not_found");
        const history = (await okJson<Session>("GET", `/api/sessions/${kept.id}`, 200)).chat_history;
        expect(history.map((m) => m.content)).toEqual(["keep me"]);
      });

      const maxCount = options.sessionMaxCount;
      if (maxCount !== undefined) {
        it(`retention: beyond ${maxCount} sessions, a create removes the least recently active`, async () => {
          const first = await okJson<Session>("POST", "/api/sessions", 201);
          const second = await okJson<Session>("POST", "/api/sessions", 201);
          // File times are coarse (a few ms): make the message clearly later than `second`.
          await new Promise((resolve) => setTimeout(resolve, 50));
          await okJson<ChatMessage>("POST", `/api/sessions/${first.id}/messages`, 201, {
            body: { role: "user", content: "keeps the session active" },
          });
          let newest = second;
          for (let i = 0; i < maxCount - 1; i++) newest = await okJson<Session>("POST", "/api/sessions", 201);
          // N + 1 sessions made here: the one idle since its creation is gone, not the older one
          // that had a message since; the session just created is never the one removed.
          expectError(await call("GET", `/api/sessions/${second.id}`), 404, "not_found");
          const kept = await okJson<Session>("GET", `/api/sessions/${first.id}`, 200);
          expect(kept.chat_history.map((m) => m.content)).toEqual(["keeps the session active"]);
          await okJson<Session>("GET", `/api/sessions/${newest.id}`, 200);
        });
      }

      it("bad messages are 400, unknown or malformed session ids 404, and nothing is stored", async () => {
        const session = await okJson<Session>("POST", "/api/sessions", 201);
        const path = `/api/sessions/${session.id}/messages`;
        for (const body of [
          { role: "system", content: "x" },
          { role: "user" },
          { content: "x" },
          { role: "user", content: 5 },
          { role: "user", content: "x".repeat(32_001) },
          [],
        ]) {
          expectZodError(await call("POST", path, { body }));
        }
        expect((await okJson<Session>("GET", `/api/sessions/${session.id}`, 200)).chat_history).toEqual([]);
        const unknown = "0123456789abcdef0123456789abcdef";
        for (const id of [unknown, "nope", enc("../graph"), "%2e%2e%2fgraph", "__proto__", "constructor"]) {
          expectError(await call("GET", `/api/sessions/${id}`), [400, 404]);
          expectError(await call("DELETE", `/api/sessions/${id}`), [400, 404]);
          expectError(
            await call("POST", `/api/sessions/${id}/messages`, { body: { role: "user", content: "x" } }),
            [400, 404],
          );
        }
      });
    });

    // -------------------------------------------------------------------------- traversal ids

    describe("backup and version ids cannot escape the storage directory", () => {
      it("traversal, encoded, absolute and NUL ids are 400 or 404 and touch nothing", async () => {
        const { canaryPath } = target();
        let canaryBefore: { text: string; mtimeMs: number } | undefined;
        if (canaryPath) canaryBefore = await readCanary(canaryPath);
        const canaryName = canaryPath?.split(/[\\/]/).pop() ?? "canary.txt";
        const canaryDir = canaryPath
          ? canaryPath.slice(0, canaryPath.length - canaryName.length - 1)
          : "/tmp";
        await putNode(uid("trav"), "t");
        const keep = await okJson<Backup>("POST", "/api/backups", 201);
        const before = await stats();
        const backupsBefore = await backupIds();
        const versionsBefore = await versionIds();

        const ids = [
          "../../etc/passwd",
          "..%2F..%2Fetc%2Fpasswd",
          "..%2F",
          "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
          "%2e%2e%2f",
          "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
          "%2E%2E%2F%2E%2E%2F",
          "%252e%252e%252f",
          "..%5C..%5Cwindows",
          "..",
          "%2e%2e",
          "...",
          enc("/etc/passwd"),
          enc(canaryPath ?? "/tmp/canary.txt"),
          enc(canaryDir),
          enc(`../${canaryName}`),
          enc(`../../${canaryName}`),
          enc(`../../../${canaryName}`),
          enc(`${keep.id}/../../${canaryName}`),
          enc(`${keep.id}/..`),
          "C:%5CWindows%5Csystem32",
          "%00",
          `${keep.id}%00`,
          `%00${keep.id}`,
          `${keep.id}%00..%2F..%2F`,
          enc("20240101_000000\u0000/../../x"),
          `${keep.id}%0A`,
          ` ${keep.id}`,
          "9".repeat(200),
          "~",
          "%7E",
        ];
        for (const id of ids) {
          const routes: [string, string][] = [
            ["POST", `/api/graph/versions/${id}/restore`],
            ["POST", `/api/backups/${id}/restore`],
            ["DELETE", `/api/backups/${id}`],
          ];
          for (const [method, path] of routes) {
            const reply = await call(method, path);
            expectError(reply, [400, 404]);
            // Errors never leak host paths (unless the id itself named one and is echoed back).
            if (!safeDecode(id).includes(canaryDir))
              expect(reply.text, reply.show()).not.toContain(canaryDir);
          }
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
        expect(await versionIds()).toEqual(versionsBefore);
        if (canaryPath) expect(await readCanary(canaryPath)).toEqual(canaryBefore);
        const integrity = await okJson<{ ok: boolean }>("GET", "/api/integrity", 200);
        expect(integrity.ok).toBe(true);
      });
    });

    // -------------------------------------------------------------------------- bad bodies

    describe("bad bodies", () => {
      /** Every route that takes a JSON body, with a valid body for it. */
      const bodyRoutes = async (): Promise<[string, string, unknown][]> => {
        const id = uid("bb");
        await putNode(id, "t");
        const session = await okJson<Session>("POST", "/api/sessions", 201);
        return [
          ["PUT", "/api/graph", { nodes: { [id]: { type: "t" } } }],
          ["PUT", `/api/nodes/${id}`, { type: "t", data: { v: 1 } }],
          ["PATCH", `/api/nodes/${id}`, { data: { v: 1 } }],
          ["POST", "/api/edges", { from: id, to: id, type: "self" }],
          ["PUT", `/api/patterns/${uid("bbp")}`, { type: "T" }],
          ["POST", "/api/batch", { ops: [{ op: "put_node", id: uid("bbn"), type: "t" }] }],
          ["POST", `/api/sessions/${session.id}/messages`, { role: "user", content: "hi" }],
        ];
      };

      it("invalid JSON is 400 validation_error and stores nothing", async () => {
        const routes = await bodyRoutes();
        const before = await stats();
        for (const [method, path] of routes) {
          for (const text of [
            "{",
            "{bad json}",
            '{"type": "t",}',
            "[1, 2",
            "undefined",
            "NaN",
            "{'a': 1}",
            "",
          ]) {
            const reply = await call(method, path, { raw: text, contentType: "application/json" });
            expectError(reply, 400, "validation_error");
          }
        }
        expect(await stats()).toEqual(before);
      });

      it("a body that is not application/json is 415 and stores nothing", async () => {
        const routes = await bodyRoutes();
        const before = await stats();
        const backupsBefore = await backupIds();
        const all: [string, string, unknown][] = [
          ...routes,
          ["POST", "/api/backups", {}],
          ["POST", "/api/graph/save", {}],
        ];
        for (const [method, path, body] of all) {
          const json = JSON.stringify(body);
          for (const contentType of [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "text/json",
          ]) {
            const reply = await call(method, path, { raw: json, contentType });
            expectError(reply, 415, "unsupported_media_type");
          }
          // No content type at all (a byte body).
          const reply = await call(method, path, { raw: new TextEncoder().encode(json) });
          expectError(reply, 415, "unsupported_media_type");
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
      });

      it("a body over 1 MiB is 413 (with or without content-length) and the handler never runs", async () => {
        const routes = (await bodyRoutes()).filter(
          ([method, path]) => !(method === "PUT" && path === "/api/graph"),
        );
        const before = await stats();
        const backupsBefore = await backupIds();
        const versionsBefore = await versionIds();
        const oversized = nodeBodyOfSize(MiB + 1);
        expect(new TextEncoder().encode(oversized).length).toBe(MiB + 1);
        const all: [string, string][] = [
          ...routes.map(([m, p]) => [m, p] as [string, string]),
          ["POST", "/api/backups"],
          ["POST", "/api/graph/save"],
          ["POST", "/api/sessions"],
        ];
        for (const [method, path] of all) {
          const sized = await call(method, path, { raw: oversized, contentType: "application/json" });
          expectError(sized, 413, "payload_too_large");
          const chunked = await call(method, path, {
            raw: chunkedStream(oversized),
            contentType: "application/json",
          });
          expectError(chunked, 413, "payload_too_large");
          const larger = await call(method, path, {
            raw: chunkedStream(nodeBodyOfSize(3 * MiB)),
            contentType: "application/json",
          });
          expectError(larger, 413, "payload_too_large");
        }
        expect(await stats()).toEqual(before);
        expect(await backupIds()).toEqual(backupsBefore);
        expect(await versionIds()).toEqual(versionsBefore);
      });

      it("after an early 413 the next request on the same client still works (body drained or connection closed)", async () => {
        const oversized = nodeBodyOfSize(MiB + 1);
        for (let i = 0; i < 3; i++) {
          expectError(
            await call("PUT", `/api/nodes/${uid("big")}`, {
              raw: oversized,
              contentType: "application/json",
            }),
            413,
            "payload_too_large",
          );
          // Not idempotent, so a client never retries it on a fresh connection by itself.
          const id = uid("next");
          const next = await call("PUT", `/api/nodes/${id}`, { body: { type: "t" } });
          expect(next.status, next.show()).toBe(201);
          expectError(
            await call("POST", "/api/batch", {
              raw: chunkedStream(nodeBodyOfSize(4 * MiB)),
              contentType: "application/json",
            }),
            413,
            "payload_too_large",
          );
          const after = await call("DELETE", `/api/nodes/${id}`);
          expect(after.status, after.show()).toBe(204);
        }
      });

      it("a body of exactly 1 MiB is accepted (the limit is not lower than SPEC says)", async () => {
        const id = uid("exact");
        const body = nodeBodyOfSize(MiB);
        const reply = await call("PUT", `/api/nodes/${id}`, { raw: body, contentType: "application/json" });
        expect(reply.status, reply.show()).toBe(201);
        const chunked = await call("PUT", `/api/nodes/${id}`, {
          raw: chunkedStream(body),
          contentType: "application/json",
        });
        expect(chunked.status, chunked.show()).toBe(200);
        expect((await call("DELETE", `/api/nodes/${id}`)).status).toBe(204);
      });
    });

    // -------------------------------------------------------------------------- fast-check

    describe("generated bodies (fast-check)", () => {
      /** Sends one generated body; never a 5xx; JSON always; a 4xx has the envelope and changes nothing. */
      async function probe(method: string, path: string, text: string, extraCheck?: () => Promise<unknown>) {
        const before = await seq();
        const extraBefore = extraCheck ? await extraCheck() : undefined;
        const reply = await call(method, path, { raw: text, contentType: "application/json" });
        expect(reply.status, reply.show()).toBeLessThan(500);
        if (reply.status !== 204) reply.json();
        if (reply.status >= 400) {
          expectEnvelope(reply);
          expect(await seq(), `${reply.show()} changed the graph`).toBe(before);
          if (extraCheck) expect(await extraCheck(), reply.show()).toEqual(extraBefore);
        } else {
          expect([200, 201], reply.show()).toContain(reply.status);
        }
      }

      const json = fc.jsonValue({ maxDepth: 3 });
      const shortString = fc.string({ unit: "binary", maxLength: 12 });
      const weirdId = fc.oneof(
        fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 10 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 10 }),
        fc.constantFrom("__proto__", "constructor", "prototype", "..", ".", "%00", "a/b", " "),
        fc.string({ unit: "grapheme-ascii", minLength: 250, maxLength: 300 }),
      );
      /** A body: usually shaped like the route's input, sometimes any JSON, sometimes not JSON. */
      const bodyText = (shaped: fc.Arbitrary<unknown>) =>
        fc.oneof(
          { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v) ?? "null") },
          { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
          { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
        );
      const dataArb = fc.oneof(
        fc.dictionary(shortString, json, { maxKeys: 5 }),
        fc.constantFrom(
          JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{}}}') as Record<
            string,
            unknown
          >,
          { "": null, prototype: 1 },
        ),
        json,
      );
      const strength = fc.oneof(
        fc.double({ noDefaultInfinity: true, noNaN: true, min: -2, max: 2 }),
        fc.constantFrom(0, 1, 0.5),
        shortString,
        fc.constant(null),
      );

      it("PUT /api/nodes/:id", async () => {
        const p = uid("fzn");
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              weirdId.map((id) => `${p}${id}`),
              fc.constantFrom("__proto__", "constructor", "prototype"),
            ),
            bodyText(
              fc.record(
                {
                  type: fc.oneof(shortString, fc.integer(), fc.constant("stock")),
                  data: dataArb,
                  extra: json,
                },
                { requiredKeys: [] },
              ),
            ),
            async (id, text) => probe("PUT", `/api/nodes/${enc(id)}`, text),
          ),
          { numRuns: RUNS },
        );
      });

      it("PATCH /api/nodes/:id", async () => {
        const p = uid("fzp");
        await putNode(p, "t", { a: 1 });
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.constant(p),
              weirdId.map((id) => `${p}${id}`),
            ),
            bodyText(fc.record({ data: dataArb, type: shortString }, { requiredKeys: [] })),
            async (id, text) => probe("PATCH", `/api/nodes/${enc(id)}`, text),
          ),
          { numRuns: RUNS },
        );
      });

      it("POST /api/edges", async () => {
        const p = uid("fze");
        const nodes = [`${p}_a`, `${p}_b`, `${p}_c`];
        await batch(nodes.map((id) => ({ op: "put_node", id, type: "t" })));
        const endpoint = fc.oneof(fc.constantFrom(...nodes), weirdId, fc.integer());
        await fc.assert(
          fc.asyncProperty(
            bodyText(
              fc.record(
                {
                  from: endpoint,
                  to: endpoint,
                  type: fc.oneof(shortString, fc.constant("x")),
                  strength,
                  id: fc.oneof(
                    weirdId.map((id) => `${p}${id}`),
                    fc.constantFrom(`${p}_dup`),
                    fc.integer(),
                  ),
                  metadata: json,
                },
                { requiredKeys: ["from", "to"] },
              ),
            ),
            async (text) => probe("POST", "/api/edges", text),
          ),
          { numRuns: RUNS },
        );
      });

      it("PUT /api/patterns/:id", async () => {
        const p = uid("fzt");
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              weirdId.map((id) => `${p}${id}`),
              fc.constantFrom("__proto__", "constructor", "prototype"),
            ),
            bodyText(
              fc.record(
                {
                  type: fc.oneof(shortString, fc.integer()),
                  description: fc.oneof(shortString, json),
                  trigger_conditions: fc.oneof(
                    fc.array(fc.oneof(shortString, fc.constant("GDP > 2%"), fc.integer()), { maxLength: 4 }),
                    json,
                  ),
                  confidence: strength,
                  nodes: fc.oneof(fc.array(weirdId, { maxLength: 3 }), json),
                  from: fc.oneof(weirdId, fc.integer()),
                  via: json,
                },
                { requiredKeys: [] },
              ),
            ),
            async (id, text) => probe("PUT", `/api/patterns/${enc(id)}`, text),
          ),
          { numRuns: RUNS },
        );
      });

      it("POST /api/batch", async () => {
        const p = uid("fzb");
        const pool = [`${p}_a`, `${p}_b`, `${p}_c`];
        await putNode(pool[0]!, "t");
        const id = fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...pool) },
          weirdId.map((x) => `${p}${x}`),
        );
        const op = fc.oneof(
          fc.record({
            op: fc.constant("put_node"),
            id,
            type: fc.oneof(fc.constant("t"), shortString),
            data: dataArb,
          }),
          fc.record({ op: fc.constant("patch_node"), id, data: dataArb }),
          fc.record({ op: fc.constant("delete_node"), id }),
          fc.record(
            { op: fc.constant("add_edge"), from: id, to: id, type: fc.constant("x"), strength, id: id },
            { requiredKeys: ["op", "from", "to", "type"] },
          ),
          fc.record({ op: fc.constant("delete_edge"), id }),
          fc.record({
            op: fc.constant("put_pattern"),
            id,
            pattern: fc.oneof(fc.record({ type: shortString }, { requiredKeys: [] }), json),
          }),
          fc.record({ op: fc.constant("delete_pattern"), id }),
          fc.record({ op: fc.oneof(shortString, fc.integer()), id: json }, { requiredKeys: [] }),
        );
        await fc.assert(
          fc.asyncProperty(
            bodyText(
              fc.oneof({ weight: 5, arbitrary: fc.record({ ops: fc.array(op, { maxLength: 6 }) }) }, json),
            ),
            async (text) => probe("POST", "/api/batch", text),
          ),
          { numRuns: RUNS },
        );
      });

      it("POST /api/sessions/:id/messages", async () => {
        const session = await okJson<Session>("POST", "/api/sessions", 201);
        const history = async () =>
          (await okJson<Session>("GET", `/api/sessions/${session.id}`, 200)).chat_history.length;
        await fc.assert(
          fc.asyncProperty(
            bodyText(
              fc.record(
                {
                  role: fc.oneof(
                    fc.constantFrom("user", "assistant", "system", "USER"),
                    shortString,
                    fc.integer(),
                  ),
                  content: fc.oneof(shortString, json, fc.constant("x".repeat(32_001))),
                  at: json,
                },
                { requiredKeys: [] },
              ),
            ),
            async (text) => probe("POST", `/api/sessions/${session.id}/messages`, text, history),
          ),
          { numRuns: RUNS },
        );
      });

      it("PUT /api/graph (small documents)", async () => {
        const p = uid("fzg");
        const nodeId = fc.oneof(fc.constantFrom(`${p}_a`, `${p}_b`), weirdId);
        const node = fc.record(
          {
            type: fc.oneof(fc.constant("t"), shortString, fc.integer()),
            data: dataArb,
            id: nodeId,
            created: shortString,
          },
          { requiredKeys: [] },
        );
        const edge = fc.record(
          { from: nodeId, to: nodeId, type: fc.oneof(fc.constant("x"), shortString), strength, id: weirdId },
          { requiredKeys: [] },
        );
        const document = fc.record(
          {
            version: fc.oneof(fc.constantFrom(1, 2, 3), json),
            seq: fc.oneof(fc.nat(), json),
            nodes: fc.oneof({ weight: 4, arbitrary: fc.dictionary(nodeId, node, { maxKeys: 4 }) }, json),
            edges: fc.oneof({ weight: 4, arbitrary: fc.array(edge, { maxLength: 4 }) }, json),
            patterns: fc.oneof(fc.dictionary(weirdId, json, { maxKeys: 2 }), json),
            metadata: json,
            checksum: fc.oneof(
              fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }),
              shortString,
            ),
          },
          { requiredKeys: [] },
        );
        await fc.assert(
          fc.asyncProperty(bodyText(document), async (text) => probe("PUT", "/api/graph", text)),
          { numRuns: 30 },
        );
      });
    });
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The canary's content and mtime (node:fs loaded only when a canary is given). */
async function readCanary(path: string): Promise<{ text: string; mtimeMs: number }> {
  const fs = await import("node:fs/promises");
  const [text, stat] = await Promise.all([fs.readFile(path, "utf8"), fs.stat(path)]);
  return { text, mtimeMs: stat.mtimeMs };
}
