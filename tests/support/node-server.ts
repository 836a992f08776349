import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./shared-fixtures.ts";

/** The built Node server (SPEC section 2). */
export const SERVER_JS = join(REPO_ROOT, "apps/node-server/dist/server.js");

/** Set by `tests/support/build-once.ts` (vitest globalSetup) once the build is done. */
export const BUILT_ENV = "DAWSOS_TEST_NODE_SERVER_BUILT";

let building: Promise<void> | undefined;

/**
 * Builds `@dawsos/node-server` and what it depends on, once per test process (turbo caches it,
 * so this is cheap when nothing changed). Skipped when the vitest globalSetup already built it.
 */
export function ensureNodeServerBuilt(): Promise<void> {
  if (process.env[BUILT_ENV] === "1" && existsSync(SERVER_JS)) return Promise.resolve();
  building ??= new Promise<void>((resolve, reject) => {
    try {
      buildNodeServer();
      resolve();
    } catch (err) {
      reject(err);
    }
  });
  return building;
}

/** Synchronous build from the repository root; throws with turbo's output on failure. */
export function buildNodeServer(): void {
  try {
    execFileSync(
      "pnpm",
      ["turbo", "run", "build", "--filter=@dawsos/node-server...", "--output-logs=errors-only"],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 170_000, encoding: "utf8" },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `building @dawsos/node-server failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
    );
  }
  if (!existsSync(SERVER_JS)) throw new Error(`the build did not produce ${SERVER_JS}`);
}

export interface StartOptions {
  /** Bearer token (`DAWSOS_API_TOKEN`); a random 40-character one by default. `null`: none. */
  token?: string | null;
  /** Reuse this storage directory (e.g. to restart on what a previous server left). */
  storageDir?: string;
  /** Extra environment (e.g. `DAWSOS_SEED`). */
  env?: Record<string, string>;
  /** How long to wait for the `"event":"listening"` line. Default 30 s. */
  startTimeoutMs?: number;
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every server not yet known to be gone, so a dying test process never leaves one behind. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

const LOG_LIMIT = 256 * 1024;

/**
 * A real `node apps/node-server/dist/server.js` child on a free loopback port (`PORT=0`; the
 * port is read from its listening line), over a fresh temporary storage directory unless one is
 * given. A canary file is written beside the storage directory (outside it) so path-traversal
 * tests can check that it is never touched.
 */
export class NodeServer {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ServerExit>;
  baseUrl = "";
  #stdout = "";
  #stderr = "";
  #exit: ServerExit | null = null;

  private constructor(
    readonly token: string | undefined,
    readonly rootDir: string | undefined,
    readonly storageDir: string,
    readonly canaryPath: string | undefined,
    env: NodeJS.ProcessEnv,
  ) {
    this.process = spawn(process.execPath, [SERVER_JS], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (this.process.pid === undefined) throw new Error("could not spawn the node server");
    this.pid = this.process.pid;
    live.add(this.process);
    this.process.stdout!.setEncoding("utf8");
    this.process.stdout!.on("data", (chunk: string) => {
      this.#stdout = keepTail(this.#stdout + chunk);
    });
    this.process.stderr!.setEncoding("utf8");
    this.process.stderr!.on("data", (chunk: string) => {
      this.#stderr = keepTail(this.#stderr + chunk);
    });
    this.exited = new Promise<ServerExit>((resolve) => {
      this.process.once("close", (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this.process);
        resolve(this.#exit);
      });
    });
  }

  /** Starts a server and resolves once it listens (rejects, with its output, if it does not). */
  static async start(options: StartOptions = {}): Promise<NodeServer> {
    const token = options.token === null ? undefined : (options.token ?? randomBytes(20).toString("hex"));
    let rootDir: string | undefined;
    let storageDir = options.storageDir;
    let canaryPath: string | undefined;
    if (storageDir === undefined) {
      rootDir = await mkdtemp(join(tmpdir(), "dawsos-http-"));
      storageDir = join(rootDir, "storage");
      await mkdir(storageDir);
      canaryPath = join(rootDir, "canary.txt");
      await writeFile(canaryPath, `canary ${randomBytes(16).toString("hex")}\n`);
    }
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      // Nothing from the developer's shell may point the server elsewhere.
      if (/^(DAWSOS_|FRED_|FMP_|PORT$|HOST$|INIT_CWD$)/.test(key)) continue;
      env[key] = value;
    }
    Object.assign(env, {
      PORT: "0",
      HOST: "127.0.0.1",
      DAWSOS_STORAGE_DIR: storageDir,
      ...(token === undefined ? {} : { DAWSOS_API_TOKEN: token }),
      ...options.env,
    });
    const server = new NodeServer(token, rootDir, storageDir, canaryPath, env);
    try {
      server.baseUrl = await server.#waitForListening(options.startTimeoutMs ?? 30_000);
    } catch (err) {
      await server.dispose();
      throw err;
    }
    return server;
  }

  #waitForListening(timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`node server did not listen within ${timeoutMs} ms\n${this.output()}`)),
        timeoutMs,
      );
      const check = () => {
        for (const line of this.#stdout.split("\n")) {
          if (!line.includes('"listening"')) continue;
          try {
            const parsed = JSON.parse(line) as { event?: string; url?: string };
            if (parsed.event === "listening" && typeof parsed.url === "string") return finish(parsed.url);
          } catch {
            // a partial line: wait for the rest
          }
        }
      };
      const onClose = () =>
        finish(
          new Error(`node server exited before listening (${JSON.stringify(this.#exit)})\n${this.output()}`),
        );
      const finish = (result: string | Error) => {
        clearTimeout(timer);
        this.process.stdout!.off("data", check);
        this.process.off("close", onClose);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.process.stdout!.on("data", check);
      this.process.once("close", onClose);
      check();
    });
  }

  get exit(): ServerExit | null {
    return this.#exit;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  output(): string {
    return `--- stdout (tail) ---\n${this.#stdout.slice(-4000)}\n--- stderr (tail) ---\n${this.#stderr.slice(-4000)}`;
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves with how it exited.
   */
  async stop(graceMs = 12_000): Promise<ServerExit> {
    if (this.#exit) return this.#exit;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal without waiting (e.g. SIGKILL in crash tests). */
  kill(signal: NodeJS.Signals): void {
    if (!this.#exit) this.process.kill(signal);
  }

  /** Stops the server and removes the temporary directory it was started with (if any). */
  async dispose(): Promise<ServerExit> {
    try {
      return await this.stop();
    } finally {
      if (this.rootDir) await rm(this.rootDir, { recursive: true, force: true });
    }
  }
}

function keepTail(text: string): string {
  return text.length > LOG_LIMIT ? text.slice(text.length - LOG_LIMIT / 2) : text;
}
