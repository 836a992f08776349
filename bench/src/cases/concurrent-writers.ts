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
    "64 writers each run sequential `store.putNode` calls for ~3 s; acknowledged updates per second " +
    "(time until the last in-flight update is acknowledged) vs a serial loop of 300-byte append + " +
    "fdatasync (one fsync per update; 1 s before and 1 s after the writers) and vs a bare group commit (100 × 300 B in one write + one " +
    "fdatasync, records/s). Target (issue 13): ≥ 50,000 acknowledged/s, or ≥ 25% of the bare group-commit " +
    "rate of the same run, whichever is lower.",
};

const WRITERS = 64;
const DURATION_MS = Number(process.env.BENCH_WRITERS_MS ?? 3000);

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

  // 64 writers over GraphStore.
  ctx.log(`[${fx.size}] ${WRITERS} concurrent writers for ${DURATION_MS / 1000} s`);
  const dir = storageCopy(fx, ctx, "writers");
  const store = await openStore(dir, fx);
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
  await closeStore(store);
  removeDir(dir);
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
