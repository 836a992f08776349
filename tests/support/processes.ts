/**
 * Small helpers for end-to-end tests that run the built Node server and `dawsos` CLI as real
 * processes (tests/server, tests/cli): the shared build step, spawning with a clean
 * environment, waiting with timeouts, killing everything a test started, temp directories and
 * a 50-client PUT load over loopback.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./shared-fixtures.ts";

export { REPO_ROOT };
export const SERVER_JS = join(REPO_ROOT, "apps/node-server/dist/server.js");
export const CLI_JS = join(REPO_ROOT, "apps/node-server/dist/cli.js");

/** A token accepted by the server (≥ 16 printable characters). */
export const TEST_TOKEN = "e2e-test-token-0123456789abcdef";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ── build ────────────────────────────────────────────────────────────────────────────────────

const BUILD_LOCK = join(tmpdir(), "dawsos-e2e-node-server-build.lock");

/**
 * `<vitest main pid> <time>` of the last build: test files of one vitest run are workers of one
 * main process, so the first file to build covers the others (and they all test the same code,
 * even while other people edit sources during the run).
 */
const BUILT_MARK = join(tmpdir(), "dawsos-e2e-node-server-built");
const BUILT_MARK_MAX_AGE_MS = 15 * 60_000;

function builtInThisRun(): boolean {
  try {
    const [ppid, at] = readFileSync(BUILT_MARK, "utf8").split(" ").map(Number);
    return ppid === process.ppid && Date.now() - at! < BUILT_MARK_MAX_AGE_MS && existsSync(SERVER_JS);
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `pnpm turbo run build --filter=@dawsos/node-server...` from the repository root (cached by
 * turbo after the first run). Test files run in parallel workers, so builds are serialised by a
 * lock directory: two tsc runs must not write the same dist/ at once, and once one file of a
 * vitest run has built, the others skip it. Skipped too when the vitest globalSetup of the e2e
 * project already built it (it sets DAWSOS_TEST_NODE_SERVER_BUILT=1).
 */
export async function buildNodeServer(timeoutMs = 110_000): Promise<void> {
  // Already built by the e2e project's globalSetup (tests/support/build-once.ts), if configured.
  if (process.env.DAWSOS_TEST_NODE_SERVER_BUILT === "1" && existsSync(SERVER_JS) && existsSync(CLI_JS))
    return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      writeFileSync(join(BUILD_LOCK, "pid"), String(process.pid));
      if (builtInThisRun()) {
        rmSync(BUILD_LOCK, { recursive: true, force: true });
        return;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let stale = false;
      try {
        const pid = Number(readFileSync(join(BUILD_LOCK, "pid"), "utf8"));
        stale = !pidAlive(pid);
      } catch {
        // No pid yet: stale only if old (a crash between mkdir and write).
        try {
          stale = Date.now() - statSync(BUILD_LOCK).mtimeMs > 30_000;
        } catch {
          stale = false; // vanished: retry
        }
      }
      if (stale) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${BUILD_LOCK}`);
      else await sleep(200);
    }
  }
  try {
    execFileSync(
      "pnpm",
      ["turbo", "run", "build", "--filter=@dawsos/node-server...", "--output-logs=errors-only"],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        timeout: Math.max(1_000, deadline - Date.now()),
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
        encoding: "utf8",
      },
    );
    writeFileSync(BUILT_MARK, `${process.ppid} ${Date.now()}`);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `building @dawsos/node-server failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
    );
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

// ── temp dirs ────────────────────────────────────────────────────────────────────────────────

const tempDirs = new Set<string>();

export async function makeTempDir(prefix = "dawsos-e2e-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of [...tempDirs]) {
    tempDirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

// ── child processes ──────────────────────────────────────────────────────────────────────────

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned process with its output collected and its exit as a promise. */
export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  exit(): Exit | undefined;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line (parsed as JSON) satisfying `match`; rejects on exit or timeout. */
  waitForJsonLine(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit, or rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<Exit>;
}

const running = new Set<Proc>();
/** Those of `running` that lead a process group of their own (`spawnProcess` with `group`). */
const groups = new WeakSet<Proc>();

/**
 * The environment for a child: ours without anything that would change the server's or CLI's
 * behaviour (DAWSOS_*, PORT, HOST, INIT_CWD set by pnpm), plus `env`.
 */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DAWSOS_|FRED_|FMP_)/.test(k) || k === "PORT" || k === "HOST" || k === "INIT_CWD") continue;
    if (k.startsWith("VITEST") || k === "NODE_OPTIONS") continue;
    base[k] = v;
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

export function spawnNode(
  script: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Proc {
  return spawnProcess(process.execPath, [script, ...args], options);
}

/**
 * Spawns `file` with `args` in a clean environment (`childEnv`), tracked for `killAll`.
 * `group`: in a process group of its own, which `killAll` kills whole (for a process whose
 * children must not outlive it).
 */
export function spawnProcess(
  file: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; group?: boolean } = {},
): Proc {
  const child = spawn(file, args, {
    cwd: options.cwd ?? tmpdir(),
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  let out = "";
  let err = "";
  let exit: Exit | undefined;
  const lineListeners = new Set<(line: string) => void>();
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) for (const l of lineListeners) l(line);
  });
  child.stderr!.on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    // "close": the process exited (and was reaped) and its output is fully read.
    child.on("close", (code, signal) => {
      exit = { code, signal };
      running.delete(proc);
      resolve(exit);
    });
    child.on("error", () => {
      exit ??= { code: null, signal: null };
      running.delete(proc);
      resolve(exit);
    });
  });
  const proc: Proc = {
    child,
    pid: child.pid ?? -1,
    exited,
    exit: () => exit,
    stdout: () => out,
    stderr: () => err,
    waitForJsonLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (line: string): boolean => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            return false;
          }
          if (parsed === null || typeof parsed !== "object" || !match(parsed as Record<string, unknown>))
            return false;
          finish();
          resolve(parsed as Record<string, unknown>);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for a line\nstdout:\n${out}\nstderr:\n${err}`),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          lineListeners.delete(check);
        };
        for (const line of out.split("\n")) if (check(line)) return;
        lineListeners.add(check);
        void exited.then((e) => {
          if (!lineListeners.has(check)) return;
          finish();
          reject(
            new Error(
              `process exited (${e.code ?? e.signal}) before the line\nstdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        });
      });
    },
    waitForExit(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`process ${proc.pid} still running after ${timeoutMs} ms\nstderr:\n${err}`)),
          timeoutMs,
        );
        void exited.then((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
    },
  };
  running.add(proc);
  if (options.group === true) groups.add(proc);
  return proc;
}

/** SIGKILLs every process started by these helpers that is still running, and waits for each. */
export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const p of procs) {
    if (p.exit() !== undefined) continue;
    if (groups.has(p)) {
      try {
        process.kill(-p.pid, "SIGKILL"); // the group it leads: it and what it started
      } catch {
        p.child.kill("SIGKILL");
      }
    } else {
      p.child.kill("SIGKILL");
    }
  }
  await Promise.all(procs.map((p) => p.waitForExit(10_000).catch(() => undefined)));
}

// ── the server ───────────────────────────────────────────────────────────────────────────────

export interface ServerProc extends Proc {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly storageDir: string;
}

export interface ServerOptions {
  storageDir: string;
  /** `null`: no token. Default `TEST_TOKEN`. */
  token?: string | null;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Spawns the server on a free loopback port (PORT=0) without waiting. */
export function spawnServer(options: ServerOptions): Proc {
  return spawnNode(SERVER_JS, [], { env: serverEnv(options) });
}

/**
 * Spawns the server as the child of a process that never reaps it, as a `pnpm start` tree
 * killed at once can leave it: bash starts the server in the background and then execs
 * `sleep` (keeping its pid), so a server that dies stays a zombie (state Z) until that sleep
 * is killed. The returned process is the sleep, carrying the server's stdout and stderr; the
 * server's own pid is in its listening line. Needs bash.
 */
export function spawnServerUnreaped(options: ServerOptions): Proc {
  // Its own process group (bash without job control keeps the server in it): `killAll` then
  // kills the server too, should a test fail before killing it.
  return spawnProcess("bash", ["-c", '"$@" & exec sleep 600', "server-parent", process.execPath, SERVER_JS], {
    env: serverEnv(options),
    group: true,
  });
}

function serverEnv(options: ServerOptions): Record<string, string | undefined> {
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    DAWSOS_STORAGE_DIR: options.storageDir,
    DAWSOS_API_TOKEN: token ?? undefined,
    ...options.env,
  };
}

/** Starts the server and waits for its `"event":"listening"` line. */
export async function startServer(options: ServerOptions): Promise<ServerProc> {
  const proc = spawnServer(options);
  const line = await proc.waitForJsonLine((l) => l.event === "listening", options.timeoutMs ?? 20_000);
  const port = new URL(String(line.url)).port;
  return Object.assign(proc, { url: `http://127.0.0.1:${port}`, storageDir: options.storageDir });
}

/** The server's per-request log lines (JSON lines on stdout carrying a `request_id`). */
export interface RequestLog {
  request_id: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  [k: string]: unknown;
}

export function requestLogs(proc: Proc): RequestLog[] {
  const logs: RequestLog[] = [];
  for (const line of proc.stdout().split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.request_id === "string") logs.push(parsed as RequestLog);
    } catch {
      // not a JSON line
    }
  }
  return logs;
}

// ── the CLI ──────────────────────────────────────────────────────────────────────────────────

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node cli.js …args` to completion (killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const proc = spawnNode(CLI_JS, args, options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let exit: Exit;
  try {
    exit = await proc.waitForExit(timeoutMs);
  } catch (err) {
    proc.child.kill("SIGKILL");
    await proc.waitForExit(5_000).catch(() => undefined);
    throw new Error(`dawsos ${args.join(" ")}: ${(err as Error).message}`);
  }
  return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() };
}

// ── HTTP ─────────────────────────────────────────────────────────────────────────────────────

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: unknown;
}

/** One HTTP request with node:http (no keep-alive unless `agent`), bounded by `timeoutMs`. */
export function http(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: string | null;
    body?: unknown;
    headers?: Record<string, string>;
    agent?: Agent;
    timeoutMs?: number;
  } = {},
): Promise<HttpResult> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers,
        agent: options.agent ?? new Agent({ keepAlive: false }),
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("response aborted")));
        res.on("end", () => {
          if (!res.complete) {
            reject(new Error("incomplete response"));
            return;
          }
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Every node id of the graph, through `GET /api/nodes` pages. */
export async function allNodes(baseUrl: string): Promise<Map<string, { type: string; data: unknown }>> {
  const nodes = new Map<string, { type: string; data: unknown }>();
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const q: string = `/api/nodes?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await http(baseUrl, "GET", q);
    if (res.status !== 200) throw new Error(`GET ${q}: ${res.status} ${res.body}`);
    const body = res.json as {
      items: { id: string; type: string; data: unknown }[];
      next_cursor: string | null;
    };
    for (const n of body.items) nodes.set(n.id, { type: n.type, data: n.data });
    cursor = body.next_cursor;
    if (cursor === null) return nodes;
  }
  throw new Error("GET /api/nodes: too many pages");
}

// ── load ─────────────────────────────────────────────────────────────────────────────────────

export interface PutRecord {
  /** Node id, also sent as the request id. */
  id: string;
  client: number;
  i: number;
  sentAt: number;
  endedAt: number;
  /** HTTP status, or 0 for a connection error. */
  status: number;
  /** For a 2xx: the body named the node and carried its data (a complete response). */
  complete: boolean;
  error?: string;
}

export interface Load {
  /** Stops issuing new requests; resolves when every loop has ended. */
  stop(): Promise<void>;
  /** Resolves when every loop has ended on its own (connection errors) or after stop(). */
  readonly done: Promise<void>;
  readonly records: PutRecord[];
}

/**
 * `clients` concurrent loops over keep-alive connections, each PUTting distinct nodes
 * `c<client>-<i>` (type `load`, data `{client, i}`) and recording every outcome. A loop ends at
 * its first connection error (or on stop()). Every request is bounded by `timeoutMs`.
 */
export function startPutLoad(baseUrl: string, options: { clients?: number; timeoutMs?: number } = {}): Load {
  const clients = options.clients ?? 50;
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const records: PutRecord[] = [];
  let stopped = false;
  const loop = async (client: number) => {
    for (let i = 0; !stopped; i++) {
      const id = `c${client}-${i}`;
      const data = { client, i };
      const record: PutRecord = { id, client, i, sentAt: Date.now(), endedAt: 0, status: 0, complete: false };
      records.push(record);
      try {
        const res = await http(baseUrl, "PUT", `/api/nodes/${id}`, {
          body: { type: "load", data },
          headers: { "x-request-id": id },
          agent,
          timeoutMs: options.timeoutMs ?? 15_000,
        });
        record.endedAt = Date.now();
        record.status = res.status;
        const node = res.json as { id?: unknown; data?: unknown } | undefined;
        record.complete =
          node?.id === id &&
          JSON.stringify(node.data) === JSON.stringify(data) &&
          res.headers.etag !== undefined;
      } catch (err) {
        record.endedAt = Date.now();
        record.error = (err as Error).message;
        return; // connection error: this client stops
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, c) => loop(c))).then(() => {
    agent.destroy();
  });
  return {
    records,
    done,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

export const is2xx = (status: number) => status >= 200 && status < 300;
