/**
 * Group 2 (issue 3): throughput of acknowledged updates with 64 concurrent writers, against
 * one fsync per update serially and against a bare group commit of 100 records.
 */
import { closeSync, fdatasyncSync, openSync } from "node:fs";
import { join } from "node:path";
import {
  type BenchContext,
  type CaseResult,
  closeStore,
  type Fixture,
  freshDir,
  openStore,
  removeDir,
  storageCopy,
  updateFor,
  writeAll,
} from "../fixture.ts";
import { collectGarbage, measureSync, now, summarize } from "../measure.ts";
import { fmtMs, fmtRate, fmtRatio, spreadOf, statsRow } from "../table.ts";
import { FLOOR_RECORD } from "./durable-update.ts";

export const group = {
  id: "concurrent-writers",
  title: "2. 64 concurrent writers vs one fsync per update",
  description:
    "64 writers each run sequential `store.putNode` calls for ~3 s, three times on fresh copies (the median " +
    "round counts); acknowledged updates per second " +
    "(time until the last in-flight update is acknowledged) vs a serial loop of 300-byte append + " +
    "fdatasync (one fsync per update; 1 s before and 1 s after the writers) and vs a bare group commit (100 × 300 B in one write + one " +
    'fdatasync, records/s), and vs the same writers with durability "none" (no fdatasync: the CPU ceiling). Target (issue 13): ≥ 50,000 acknowledged/s, or ≥ 25% of the bare group-commit ' +
    "rate of the same run, whichever is lower.",
};

const WRITERS = 64;
const DURATION_MS = Number(process.env.BENCH_WRITERS_MS ?? 3000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_WRITERS_ROUNDS ?? 3));

export async function run(fx: Fixture, ctx: BenchContext): Promise<CaseResult> {
  const notes: string[] = [];

  // Serial: one append + fdatasync per update, as fast as it goes, 1 s before and 1 s after
  // the writers (the machine may be shared: both halves together are the peer).
  const rawDir = freshDir(ctx.root, "serial");
  const fd = openSync(join(rawDir, "serial.journal"), "a");
  const serialSamples: number[] = [];
  let serialElapsed = 0;
  const serialLoop = (ms: number) => {
    const start = now();
    while (now() - start < ms) {
      const t0 = now();
      writeAll(fd, FLOOR_RECORD);
      fdatasyncSync(fd);
      serialSamples.push(now() - t0);
    }
    serialElapsed += now() - start;
  };
  ctx.log(`[${fx.size}] serial append + fdatasync`);
  serialLoop(1000);

  // Bare group commit: 100 records in one write, one fdatasync.
  ctx.log(`[${fx.size}] bare group commit of 100 records`);
  const batch = new Uint8Array(FLOOR_RECORD.length * 100);
  for (let k = 0; k < 100; k++) batch.set(FLOOR_RECORD, k * FLOOR_RECORD.length);
  const groupFd = openSync(join(rawDir, "group.journal"), "a");
  const groupCommit = measureSync(
    () => {
      writeAll(groupFd, batch);
      fdatasyncSync(groupFd);
    },
    { iterations: 300, warmup: 10, maxTimeMs: 5000 },
  );
  closeSync(groupFd);
  const groupRate = (100 * 1000) / groupCommit.median;

  // 64 writers over GraphStore, ROUNDS times on fresh copies: the disk's fsync latency moves
  // from second to second, so one 3 s window alone swings by ±15%. The median round is the
  // result; every round's rate is in the notes.
  const rounds: Awaited<ReturnType<typeof writers>>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    ctx.log(
      `[${fx.size}] ${WRITERS} concurrent writers for ${DURATION_MS / 1000} s (round ${round} of ${ROUNDS})`,
    );
    rounds.push(await writers(fx, ctx, "fsync"));
    collectGarbage();
  }
  const rateOf = (r: { latencies: number[]; elapsed: number }) => (r.latencies.length / r.elapsed) * 1000;
  const byRate = [...rounds].sort((a, b) => rateOf(a) - rateOf(b));
  const { latencies, errors, firstError, elapsed, compactions } = byRate[Math.floor(byRate.length / 2)]!;
  // The same writers with durability "none" (no fdatasync): the CPU ceiling of one thread.
  ctx.log(`[${fx.size}] ${WRITERS} concurrent writers, durability none`);
  const cpuBound = await writers(fx, ctx, "none");
  const cpuRate = (cpuBound.latencies.length / cpuBound.elapsed) * 1000;
  collectGarbage();

  serialLoop(1000);
  closeSync(fd);
  removeDir(rawDir);
  const serial = summarize(serialSamples);
  const serialRate = (serial.n / serialElapsed) * 1000;

  const lat = summarize(latencies);
  const rate = (lat.n / elapsed) * 1000;
  const vsSerial = rate / serialRate;
  // Issue 13: 50,000 acknowledged changes/s, or 25% of the bare group-commit rate of the same
  // run on this disk, whichever is lower.
  const target = Math.min(50_000, 0.25 * groupRate);
  notes.push(
    `${fx.size}: ${lat.n} updates acknowledged by ${WRITERS} writers in ${fmtMs(elapsed)} ` +
      `(including the wait for the last in-flight ones); latency p99 ${fmtMs(lat.p99)}, max ${fmtMs(lat.max)}` +
      (errors > 0 ? `; ${errors} failed (${firstError})` : "") +
      `; writers reach ${((rate / groupRate) * 100).toPrecision(3)}% of the bare group-commit rate`,
  );
  notes.push(
    `${fx.size}: the median of ${ROUNDS} rounds of ${DURATION_MS / 1000} s, each on a fresh copy; the rounds gave ` +
      `${byRate.map((r) => `${fmtRate(rateOf(r))}/s`).join(", ")}. Automatic compactions in the median round: ` +
      `${compactions} (the journal folds into graph.json past 100,000 records or 64 MiB, or past the graph's own ` +
      "nodes + edges and graph.json's size when larger, up to 1,000,000 records and 256 MiB: group 5 shows a " +
      "compaction's cost at each size)",
  );
  if (rate < target) {
    notes.push(
      `${fx.size}: what bounds it (CPU profiles of this loop): one thread does all of each commit — validate, ` +
        "encode and hash its journal line, apply it, acknowledge it, and the writer's next call — about " +
        `${fmtMs(1000 / cpuRate)} of CPU each (the same writers with no fdatasync reach ${fmtRate(cpuRate)}/s), ` +
        "and a group of 64 waits for its journal write to be durable before the next group is prepared. The " +
        "journal is written through an O_DSYNC descriptor (one write syscall per group instead of write + " +
        "fdatasync: +10% in an A/B run in one process: 45.4k/s against 41.0k/s, the medians of 10 paired 3 s rounds, faster in 9 of them, 2026-12-04). A pipelined loop " +
        "that prepares arriving commits into the next group while one is written, splitting an idle queue in " +
        "two, was measured A/B and not kept: the groups settled at 32 alternating, but each group's write + " +
        "fdatasync, timed from the event loop, grew to 0.9–1.1 ms (completions wait while the thread prepares " +
        "the other half), so it reached 33–36k/s against 43.9k/s for this loop",
    );
  }
  return {
    rows: [
      {
        name: `${WRITERS} writers × sequential putNode, acknowledged/s`,
        size: fx.size,
        median: lat.median,
        spread: spreadOf(lat, { p99: true }),
        opsPerSec: rate,
        vsPeer: `${fmtRatio(vsSerial)} serial fsync; ${((rate / groupRate) * 100).toPrecision(3)}% of bare group commit`,
        target: `≥ ${fmtRate(target)}/s (min of 50k, 25% of group commit)`,
        met: rate >= target,
      },
      {
        name: `${WRITERS} writers, durability "none" (no fdatasync: the CPU ceiling)`,
        size: fx.size,
        median: summarize(cpuBound.latencies).median,
        spread: spreadOf(summarize(cpuBound.latencies), { p99: true }),
        opsPerSec: cpuRate,
        vsPeer: `fsync writers at ${((rate / cpuRate) * 100).toPrecision(3)}% of it`,
      },
      {
        name: "serial: append + fdatasync per update",
        size: fx.size,
        median: serial.median,
        spread: spreadOf(serial),
        opsPerSec: serialRate,
        vsPeer: "—",
      },
      statsRow("bare group commit, 100 × 300 B + 1 fdatasync (records/s)", fx.size, groupCommit, {
        opsPerSec: groupRate,
        vsPeer: `${fmtRatio(groupRate / serialRate)} serial; writers at ${fmtRate(rate)}/s`,
      }),
    ],
    notes,
  };
}

/** 64 writers of sequential `putNode` for `DURATION_MS` on a copy of the fixture's storage. */
async function writers(fx: Fixture, ctx: BenchContext, durability: "fsync" | "none") {
  const dir = storageCopy(fx, ctx, `writers-${durability}`);
  let compactions = 0;
  const store = await openStore(dir, fx, {
    durability,
    onEvent: (event) => {
      if (event.type === "compacted") compactions++;
    },
  });
  const latencies: number[] = [];
  let errors = 0;
  let firstError = "";
  const stopAt = now() + DURATION_MS;
  const writer = async (w: number) => {
    // Each writer owns a stripe of node ids, so no two writers update the same node.
    for (let k = 0; now() < stopAt; k++) {
      const id = fx.ids[(w + k * WRITERS) % fx.ids.length]!;
      const t0 = now();
      try {
        await store.putNode(id, updateFor(fx, id, k));
        latencies.push(now() - t0);
      } catch (err) {
        errors++;
        firstError ||= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const started = now();
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const elapsed = now() - started;
  // close() folds the journal too: count only the compactions of the measured window.
  const inWindow = compactions;
  await closeStore(store);
  removeDir(dir);
  return { latencies, errors, firstError, elapsed, compactions: inWindow };
}
