/**
 * The real stack for the data tests, in process: FsStorage in a temporary directory, GraphStore
 * (seeded with the shipped investment-framework seed unless told otherwise), MarketData over the
 * fake FRED/FMP servers with an injected ManualClock and sleep, the built-in workflows, and the
 * Hono app. "Restart" = close it and open a new harness over the same directory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "@dawsos/api";
import {
  type CacheEvent,
  GraphStore,
  ManualClock,
  MarketData,
  type MarketDataConfig,
  registerBuiltinWorkflows,
  SessionStore,
  WorkflowEngine,
  WorkflowHistory,
} from "@dawsos/core";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import type { FakeFmp, FakeFred } from "./fake-upstreams.ts";

export interface HarnessOptions {
  dir?: string;
  clock?: ManualClock;
  /** Give the FRED / FMP keys (default both). */
  fredKey?: boolean;
  fmpKey?: boolean;
  /** Extra MarketData settings (TTL, budgets, timeouts…). */
  market?: Partial<MarketDataConfig>;
  /** Seed document for an empty directory (default: the shipped seed). */
  seed?: unknown;
  token?: string;
}

export interface Harness {
  dir: string;
  clock: ManualClock;
  storage: FsStorage;
  store: GraphStore;
  market: MarketData;
  history: WorkflowHistory;
  workflows: WorkflowEngine;
  app: ReturnType<typeof createApp>;
  /** Every wait the injected sleep was asked for (it moves the clock instead of waiting). */
  waits: number[];
  cacheEvents: CacheEvent[];
  get(path: string): Promise<{ status: number; body: unknown; headers: Headers }>;
  post(path: string): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

const dirs: string[] = [];

export async function tempDir(prefix = "dawsos-data-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function openHarness(
  fakes: { fred: FakeFred; fmp: FakeFmp },
  options: HarnessOptions = {},
): Promise<Harness> {
  const dir = options.dir ?? (await tempDir());
  const clock = options.clock ?? new ManualClock("2026-03-02T12:00:00.000Z");
  // The fakes stamp requests with the same clock, so per-window counts follow the injected time.
  fakes.fred.now = () => clock.now().getTime();
  fakes.fmp.now = () => clock.now().getTime();
  const waits: number[] = [];
  const cacheEvents: CacheEvent[] = [];
  const storage = await FsStorage.open(dir, { lock: true });
  const store = await GraphStore.open(storage, {
    hasher: nodeSha256,
    clock,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const market = MarketData.create({
    fredApiKey: options.fredKey === false ? undefined : fakes.fred.apiKey,
    fredBaseUrl: fakes.fred.baseUrl,
    fmpApiKey: options.fmpKey === false ? undefined : fakes.fmp.apiKey,
    fmpBaseUrl: fakes.fmp.baseUrl,
    storage,
    clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
    random: () => 0.5,
    timeoutMs: 5_000,
    onEvent: (e) => cacheEvents.push(e),
    ...options.market,
  });
  const history = new WorkflowHistory(storage);
  const workflows = registerBuiltinWorkflows(new WorkflowEngine({ history, clock }), {
    store,
    market,
    clock,
  });
  const app = createApp({
    store,
    sessions: new SessionStore(storage),
    history,
    market,
    workflows,
    storageKind: "fs",
    version: "test",
    ...(options.token ? { token: options.token } : {}),
  });
  const call = async (method: string, path: string) => {
    const res = await app.request(path, {
      method,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
  return {
    dir,
    clock,
    storage,
    store,
    market,
    history,
    workflows,
    app,
    waits,
    cacheEvents,
    get: (path) => call("GET", path),
    post: (path) => call("POST", path),
    close: async () => {
      try {
        await store.close();
      } finally {
        await storage.close();
      }
    },
  };
}
