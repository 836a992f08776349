import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SERVER_JS = join(REPO_ROOT, "apps/node-server/dist/server.js");
const DASHBOARD_INDEX = join(REPO_ROOT, "apps/dashboard/dist/index.html");
/** Set by an e2e globalSetup that has already built `@dawsos/node-server...`. */
const BUILT_ENV = "DAWSOS_TEST_NODE_SERVER_BUILT";

let built = false;

/**
 * Builds the Node server and everything it depends on, the dashboard included (turbo caches it:
 * cheap when nothing changed). Skipped when a globalSetup already did it.
 */
export function ensureBuilt(): void {
  if (built || (process.env[BUILT_ENV] === "1" && existsSync(SERVER_JS) && existsSync(DASHBOARD_INDEX)))
    return;
  try {
    execFileSync(
      "pnpm",
      ["turbo", "run", "build", "--filter=@dawsos/node-server...", "--output-logs=errors-only"],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 170_000,
        encoding: "utf8",
      },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `building @dawsos/node-server failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
    );
  }
  for (const file of [SERVER_JS, DASHBOARD_INDEX]) {
    if (!existsSync(file)) throw new Error(`the build did not produce ${file}`);
  }
  built = true;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * `node apps/node-server/dist/server.js` on a free loopback port over a temporary storage dir
 * (seeded by the server with the investment framework), or over `storageDir` when given (the
 * browser benchmark's seeded 100k-node graph; the caller owns it and removes it).
 */
export class DashboardServer {
  baseUrl = "";
  #output = "";

  private constructor(
    readonly child: ChildProcess,
    readonly rootDir: string,
    readonly exited: Promise<number | null>,
  ) {}

  static async start(
    options: { token?: string; startTimeoutMs?: number; storageDir?: string } = {},
  ): Promise<DashboardServer> {
    const rootDir = await mkdtemp(join(tmpdir(), "dawsos-dashboard-"));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      // Nothing from the developer's shell may point the server elsewhere (or at a real FRED).
      if (!/^(DAWSOS_|FRED_|FMP_|PORT$|HOST$|INIT_CWD$)/.test(key)) env[key] = value;
    }
    Object.assign(env, {
      PORT: "0",
      HOST: "127.0.0.1",
      DAWSOS_STORAGE_DIR: options.storageDir ?? join(rootDir, "storage"),
      ...(options.token ? { DAWSOS_API_TOKEN: options.token } : {}),
    });
    const child = spawn(process.execPath, [SERVER_JS], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    const exited = new Promise<number | null>((done) =>
      child.once("close", (code) => {
        live.delete(child);
        done(code);
      }),
    );
    const server = new DashboardServer(child, rootDir, exited);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => server.#append(chunk));
    try {
      server.baseUrl = await new Promise<string>((done, fail) => {
        const timer = setTimeout(
          () =>
            fail(
              new Error(
                `the server did not listen within ${options.startTimeoutMs ?? 30_000} ms\n${server.#output}`,
              ),
            ),
          options.startTimeoutMs ?? 30_000,
        );
        child.stdout!.on("data", (chunk: string) => {
          server.#append(chunk);
          const match = /"event":"listening","url":"([^"]+)"/.exec(server.#output);
          if (match) {
            clearTimeout(timer);
            done(`${match[1]}/`);
          }
        });
        void exited.then((code) => {
          clearTimeout(timer);
          fail(new Error(`the server exited (${code}) before listening\n${server.#output}`));
        });
      });
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  #append(chunk: string): void {
    this.#output = (this.#output + chunk).slice(-64 * 1024);
  }

  get output(): string {
    return this.#output;
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it is not gone in 10 s; then the storage goes. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.rootDir, { recursive: true, force: true });
  }
}
