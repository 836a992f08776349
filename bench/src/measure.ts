/**
 * Timing and memory helpers. Every time is in milliseconds (`performance.now()`).
 */
import { Worker } from "node:worker_threads";

export interface Stats {
  /** Samples taken (after warmup). */
  n: number;
  median: number;
  p10: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
  /** Sum of the samples. */
  total: number;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const total = sorted.reduce((a, b) => a + b, 0);
  const median =
    n === 0 ? Number.NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {
    n,
    median,
    p10: percentile(sorted, 10),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
    mean: n === 0 ? Number.NaN : total / n,
    total,
  };
}

/** Operations per second for an operation taking `ms`. */
export function opsPerSec(ms: number): number {
  return ms > 0 ? 1000 / ms : Number.POSITIVE_INFINITY;
}

export interface MeasureOptions {
  /** Samples wanted (the most taken). */
  iterations: number;
  /** Untimed runs first (default 1). Warmup stops early once it used a tenth of `maxTimeMs`. */
  warmup?: number;
  /**
   * Time budget for warmup + samples: sampling stops once it is used up, as long as
   * `minIterations` samples exist. Lets a slow implementation (a full snapshot per update)
   * finish in bounded time while a fast one takes every iteration.
   */
  maxTimeMs?: number;
  /** Samples taken whatever the budget (default 3, capped at `iterations`). */
  minIterations?: number;
  /** Calls per sample; the sample is the mean per call (for sub-microsecond operations). */
  batch?: number;
  /** Runs untimed before every sample (e.g. re-creating state). */
  before?: (i: number) => unknown | Promise<unknown>;
}

/** Runs `fn` (awaited) after warmup; returns the per-call timing statistics. */
export async function measure(
  fn: (i: number) => unknown | Promise<unknown>,
  options: MeasureOptions,
): Promise<Stats> {
  const budget = options.maxTimeMs ?? Number.POSITIVE_INFINITY;
  const batch = Math.max(1, options.batch ?? 1);
  const minIterations = Math.min(options.iterations, options.minIterations ?? 3);
  const started = performance.now();
  let call = 0;
  const warmup = options.warmup ?? 1;
  for (let w = 0; w < warmup; w++) {
    await options.before?.(call);
    for (let b = 0; b < batch; b++) await fn(call++);
    if (performance.now() - started > budget / 10) break;
  }
  const samples: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    if (i >= minIterations && performance.now() - started > budget) break;
    await options.before?.(call);
    const t0 = performance.now();
    for (let b = 0; b < batch; b++) await fn(call++);
    samples.push((performance.now() - t0) / batch);
  }
  return summarize(samples);
}

/** `measure` for synchronous functions: no promise overhead in the timed region. */
export function measureSync(
  fn: (i: number) => unknown,
  options: Omit<MeasureOptions, "before"> & { before?: (i: number) => unknown },
): Stats {
  const budget = options.maxTimeMs ?? Number.POSITIVE_INFINITY;
  const batch = Math.max(1, options.batch ?? 1);
  const minIterations = Math.min(options.iterations, options.minIterations ?? 3);
  const started = performance.now();
  let call = 0;
  let sink = 0;
  const warmup = options.warmup ?? 1;
  for (let w = 0; w < warmup; w++) {
    for (let b = 0; b < batch; b++) sink ^= fn(call++) === undefined ? 0 : 1;
    if (performance.now() - started > budget / 10) break;
  }
  const samples: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    if (i >= minIterations && performance.now() - started > budget) break;
    options.before?.(call);
    const t0 = performance.now();
    for (let b = 0; b < batch; b++) sink ^= fn(call++) === undefined ? 0 : 1;
    samples.push((performance.now() - t0) / batch);
  }
  blackhole(sink);
  return summarize(samples);
}

/**
 * `measureSync` for several functions at once, one batch of each in turn per sample, so that a
 * change in the machine's load (a shared box) lands on all of them alike rather than on whichever
 * happened to run during it. Stats in the order of `fns`.
 */
export function measureSyncInterleaved(
  fns: ReadonlyArray<(i: number) => unknown>,
  options: { iterations: number; batch?: number; warmup?: number },
): Stats[] {
  const batch = Math.max(1, options.batch ?? 1);
  let sink = 0;
  for (const fn of fns) {
    for (let w = 0, call = 0; w < (options.warmup ?? 1); w++) {
      for (let b = 0; b < batch; b++) sink ^= fn(call++) === undefined ? 0 : 1;
    }
  }
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < options.iterations; i++) {
    // The order rotates too, so that none of them always runs right after the same one.
    for (let k = 0; k < fns.length; k++) {
      const f = (i + k) % fns.length;
      const fn = fns[f]!;
      const first = i * batch;
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) sink ^= fn(first + b) === undefined ? 0 : 1;
      samples[f]!.push((performance.now() - t0) / batch);
    }
  }
  blackhole(sink);
  return samples.map(summarize);
}

let blackholeValue = 0;
/** Keeps results observable so the optimiser cannot drop the measured work. */
export function blackhole(value: number): void {
  blackholeValue ^= value;
}
export function blackholeRead(): number {
  return blackholeValue;
}

/** Runs the garbage collector when node runs with `--expose-gc`. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * Peak resident set size, sampled every few milliseconds by a worker thread — so it keeps
 * sampling while the main thread is busy in a long synchronous `JSON.parse` or
 * `JSON.stringify` (an interval timer on the main thread would not). The process-wide
 * lifetime peak (`process.resourceUsage().maxRSS`) is reported as well.
 */
export class RssSampler {
  readonly #shared = new Int32Array(new SharedArrayBuffer(4));
  readonly #worker: Worker;

  constructor(intervalMs = 10) {
    this.#worker = new Worker(
      `const { workerData } = require("node:worker_threads");
       const peak = workerData.peak;
       setInterval(() => {
         const kb = Math.floor(process.memoryUsage.rss() / 1024);
         if (kb > Atomics.load(peak, 0)) Atomics.store(peak, 0, kb);
       }, ${Math.max(1, Math.floor(intervalMs))});`,
      { eval: true, workerData: { peak: this.#shared }, execArgv: [] },
    );
    this.#worker.unref();
    this.reset();
  }

  /** Starts a new measurement window at the current RSS. */
  reset(): void {
    Atomics.store(this.#shared, 0, Math.floor(process.memoryUsage.rss() / 1024));
  }

  /** Peak RSS in bytes since the last `reset`. */
  peak(): number {
    const current = Math.floor(process.memoryUsage.rss() / 1024);
    return Math.max(current, Atomics.load(this.#shared, 0)) * 1024;
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** Lifetime peak RSS of this process, in bytes. */
export function maxRssEver(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** A monotonic deadline helper. */
export function deadlineIn(ms: number): () => boolean {
  const end = performance.now() + ms;
  return () => performance.now() >= end;
}

export const now = (): number => performance.now();
