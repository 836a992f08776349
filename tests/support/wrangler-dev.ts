import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./shared-fixtures.ts";

/** The Worker app and the wrangler its package pins. */
export const WORKER_DIR = join(REPO_ROOT, "apps/worker");
export const WRANGLER_BIN = join(WORKER_DIR, "node_modules/.bin/wrangler");

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

const LOG_LIMIT = 256 * 1024;
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) if (child.pid) process.kill(-child.pid, "SIGKILL");
});

/**
 * `wrangler dev` of apps/worker (local mode: workerd with local R2 and KV, no Cloudflare
 * account) on a free loopback port, persisting to a fresh temporary directory, with
 * `--var API_TOKEN:<token>` exactly as a developer runs it. Started in its own process group so
 * stopping it also stops the workerd it spawned.
 */
export class WranglerDev {
  readonly baseUrl: string;
  #log = "";
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly process: ChildProcess,
    readonly port: number,
    readonly token: string,
    readonly persistDir: string,
    /** Whether `dispose` removes `persistDir` (only a directory `start` made itself). */
    readonly ownsPersistDir: boolean,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    live.add(process);
    for (const stream of [process.stdout!, process.stderr!]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        this.#log += chunk;
        if (this.#log.length > LOG_LIMIT) this.#log = this.#log.slice(-LOG_LIMIT / 2);
      });
    }
    this.exited = new Promise((resolve) => {
      process.once("close", (code, signal) => {
        this.#exit = { code, signal };
        live.delete(process);
        resolve(this.#exit);
      });
    });
  }

  /**
   * `persistDir`: the local state to serve (a restart of an earlier instance: pass its
   * `persistDir`); kept on `dispose`. Default: a new temporary directory, removed on `dispose`.
   *
   * `ready`: how `start` knows the Worker serves. `"health"` (default): `/health` answers 200 —
   * the Worker forwards `/health` to the `GraphObject`, so the object is open when `start`
   * returns. `"gateway"`: an `/api` request without a token answers 401 — the Worker refuses it
   * itself, before anything reaches the object, so after a restart on kept state the object is
   * still cold (a benchmark can time its first request).
   */
  static async start(
    options: {
      token?: string;
      startTimeoutMs?: number;
      persistDir?: string;
      ready?: "health" | "gateway";
    } = {},
  ): Promise<WranglerDev> {
    if (!existsSync(WRANGLER_BIN)) throw new Error(`${WRANGLER_BIN} is missing: run pnpm install`);
    const token = options.token ?? randomBytes(20).toString("hex");
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const persistDir = options.persistDir ?? (await mkdtemp(join(tmpdir(), "dawsos-wrangler-")));
    const child = spawn(
      WRANGLER_BIN,
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        persistDir,
        "--var",
        `API_TOKEN:${token}`,
        "--show-interactive-dev-session=false",
      ],
      {
        cwd: WORKER_DIR,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    const dev = new WranglerDev(child, port, token, persistDir, options.persistDir === undefined);
    try {
      await dev.#waitUntilServing(options.startTimeoutMs ?? 90_000, options.ready ?? "health");
    } catch (err) {
      await dev.dispose();
      throw err;
    }
    return dev;
  }

  /**
   * Polls until the Worker answers (wrangler prints "Ready" before workerd serves): `/health`
   * with 200, or (`"gateway"`) a token-less `/api/graph/stats` with the gateway's 401.
   */
  async #waitUntilServing(timeoutMs: number, ready: "health" | "gateway"): Promise<void> {
    const [path, status] = ready === "health" ? ["/health", 200] : ["/api/graph/stats", 401];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#exit)
        throw new Error(`wrangler dev exited (${JSON.stringify(this.#exit)})\n${this.output()}`);
      try {
        const response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        if (response.status === status) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`wrangler dev did not serve within ${timeoutMs} ms\n${this.output()}`);
  }

  get exit() {
    return this.#exit;
  }

  output(): string {
    return `--- wrangler dev output (tail) ---\n${this.#log.slice(-6000)}`;
  }

  /** Stops wrangler and its workerd (the whole process group), then removes state it created. */
  async dispose(): Promise<void> {
    const pid = this.process.pid;
    if (!this.#exit && pid !== undefined) {
      process.kill(-pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (!this.#exit) process.kill(-pid, "SIGKILL");
      }, 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsPersistDir) await rm(this.persistDir, { recursive: true, force: true });
  }
}
