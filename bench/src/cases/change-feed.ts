/**
 * Group "change-feed" (issue 14): what following the change feed costs, in process, over
 * `GraphStore` + `FsStorage` (fsync durability). Runs once per `pnpm bench` on a small graph
 * (the feed's cost does not depend on the graph's size, only on the writes).
 *
 * - Write-to-event latency: one writer commits `putNode` after `putNode`; each subscriber
 *   (`store.changes.subscribe()`, the same cursor the SSE route reads) notes when it sees each
 *   record. Latency = when a subscriber saw the record − when its write was submitted, so it
 *   includes the write's own fsync. With 1 and with 100 subscribers.
 * - Writer throughput: 64 writers, sequential `putNode` each, with no subscriber and with 100
 *   subscribers reading everything; runs alternate so both see the same disk and load.
 */

import type { GraphStore } from "@dawsos/core";
import {
  type BenchContext,
  type CaseResult,
  closeStore,
  freshDir,
  openStore,
  removeDir,
} from "../fixture.ts";
import { generateGraphDocument } from "../generate.ts";
import { now, summarize } from "../measure.ts";
import { fmtMs, fmtRate, type Row, statsRow } from "../table.ts";

export const group = {
  id: "change-feed",
  title: "Change feed: write-to-event latency, and writers with 100 subscribers",
  description:
    "In process, GraphStore + FsStorage (fsync). Latency: one writer's sequential `putNode`, from submit until " +
    "each subscriber of `store.changes` (what `GET /api/changes` streams) sees the record — with 1 and with 100 " +
    "subscribers (the write's fsync included). Throughput: 64 writers of sequential `putNode` for 1.5 s with no " +
    "subscriber vs with 100 subscribers reading every record, alternating, 7 runs each. Target (issue 14): " +
    "writers with 100 subscribers ≥ 95% of the rate with none, judged on the median of the 7 pairs (each run " +
    "with subscribers ÷ the run without just before it).",
};

const NODES = 1_000;
const LATENCY_WRITES = 300;
const THROUGHPUT_MS = 1_500;
// Alternating runs: one 1.5 s run moves by ±10% on a shared 2-core machine, so the medians of 7 each.
const ROUNDS = 7;

export async function run(ctx: BenchContext): Promise<CaseResult> {
  const doc = generateGraphDocument({ nodes: NODES });
  const ids = Object.keys(doc.nodes);
  const dir = freshDir(ctx.root, "change-feed");
  const store = await openStore(dir, null, { seed: doc });
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const subscribers of [1, 100]) {
      ctx.log(`change-feed: latency with ${subscribers} subscriber(s)`);
      const latency = await writeToEvent(store, ids, subscribers);
      rows.push(
        statsRow(
          `write-to-event latency, ${subscribers} subscriber${subscribers === 1 ? "" : "s"}`,
          "1k",
          latency,
          {},
          {
            p99: true,
          },
        ),
      );
    }
    ctx.log("change-feed: 64 writers, none vs 100 subscribers");
    const none: number[] = [];
    const hundred: number[] = [];
    const cpuNone: number[] = [];
    const cpuHundred: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const a = await writers(store, ids, 0);
      none.push(a.rate);
      cpuNone.push(a.cpuPerWrite);
      const b = await writers(store, ids, 100);
      hundred.push(b.rate);
      cpuHundred.push(b.cpuPerWrite);
    }
    // CPU per acknowledged write does not move with the disk's fsync latency as the rates do:
    // the difference is what delivering each record to 100 subscribers costs.
    const cpuA = summarize(cpuNone).median;
    const cpuB = summarize(cpuHundred).median;
    notes.push(
      `process CPU per acknowledged write (median of the ${ROUNDS} runs): ${fmtMs(cpuA)} with no subscriber, ` +
        `${fmtMs(cpuB)} with 100 (${cpuB >= cpuA ? "+" : ""}${(((cpuB - cpuA) / cpuA) * 100).toFixed(1)}%). ` +
        "Process CPU includes the thread pool's syncs and the GC threads, so it moves between runs as well " +
        "(from -4% to +17% on 2026-12-04); a CPU profile of the group separates the feed's own work: " +
        "delivering records to 100 subscribers is under 1% of the busy time (2026-12-04)",
    );
    const noneRate = summarize(none).median;
    const subscribedRate = summarize(hundred).median;
    // Judged on the runs in pairs: each run with subscribers against the run without just before
    // it. The disk's fsync latency drifts over the 20 s of runs (a step from ~55k/s to ~42k/s
    // within one group has been seen), and a pair shares the drift, where the two sides' medians
    // can fall on either side of a step. The ratio of the medians is given beside it.
    const ratio = summarize(hundred.map((rate, i) => rate / none[i]!)).median;
    const ratioOfMedians = subscribedRate / noneRate;
    rows.push(
      {
        name: "64 writers, acknowledged/s, 100 subscribers",
        size: "1k",
        median: "—",
        spread: `runs: ${hundred.map((r) => fmtRate(r)).join(", ")}`,
        opsPerSec: subscribedRate,
        vsPeer: `${(ratio * 100).toFixed(1)}% of no subscriber (median of the paired runs)`,
        target: "≥ 95% of none",
        met: ratio >= 0.95,
      },
      {
        name: "64 writers, acknowledged/s, no subscriber",
        size: "1k",
        median: "—",
        spread: `runs: ${none.map((r) => fmtRate(r)).join(", ")}`,
        opsPerSec: noneRate,
      },
    );
    notes.push(
      `the runs in pairs (with 100 subscribers ÷ none, the run just before): ` +
        `${hundred.map((rate, i) => `${((rate / none[i]!) * 100).toFixed(1)}%`).join(", ")}; their median ` +
        `${(ratio * 100).toFixed(1)}% is what the target judges. The ratio of the two sides' medians is ` +
        `${(ratioOfMedians * 100).toFixed(1)}%`,
    );
    if (ratio < 0.95) {
      const range = (runs: number[]) => `${fmtRate(Math.min(...runs))}–${fmtRate(Math.max(...runs))}`;
      const width = (runs: number[]) => Math.max(...runs) - Math.min(...runs);
      const withinSpread = noneRate - subscribedRate < Math.min(width(none), width(hundred));
      notes.push(
        `what bounds the rate with 100 subscribers: the runs with them span ${range(hundred)}/s and the runs ` +
          `without ${range(none)}/s, alternating in the same process; ` +
          (withinSpread
            ? "the medians differ by less than either side's spread"
            : "the gap is wider than the runs' spread in this run") +
          ". A CPU profile of this group (2026-12-04, the writer runs) puts delivering records to the 100 " +
          "subscribers (change-subscribers.ts: handing out records, waking waiters) under 1% of the process's " +
          "busy time; what the feed needs with or without subscribers — the change log's append and trim " +
          "(~3%) and writing retained records to changes/ segments at compaction (~3%) — is in both sides. So " +
          "the ratio moves with the disk's fsync latency between runs: from 83.2% to 101.2% of the rate with " +
          "none as the ratio of the medians in the runs of 2026-12-04",
      );
    }
    notes.push(
      "latency includes the write's own group commit and fsync: the feed adds what is above a bare putNode's " +
        "acknowledgement (compare with the durable-update group)",
    );
  } finally {
    await closeStore(store);
    removeDir(dir);
  }
  return { rows, notes };
}

/** Milliseconds from each write's submission until each subscriber saw its record. */
async function writeToEvent(store: GraphStore, ids: readonly string[], subscribers: number) {
  const submitted = new Map<number, number>();
  const samples: number[] = [];
  const lastSeq = { value: Number.POSITIVE_INFINITY };
  const readers = Array.from({ length: subscribers }, () => {
    const sub = store.changes.subscribe();
    return (async () => {
      for (;;) {
        const records = sub.take(1000);
        if (records === "resync") throw new Error("a bench subscriber fell behind (resync)");
        const at = now();
        for (const record of records) {
          const t0 = submitted.get(record.seq);
          if (t0 !== undefined) samples.push(at - t0);
          if (record.seq >= lastSeq.value) {
            sub.close();
            return;
          }
        }
        await sub.wait();
      }
    })();
  });
  for (let i = 0; i < LATENCY_WRITES; i++) {
    // One change per putNode: its record's seq is the graph's seq + 1.
    submitted.set(store.graph.seq + 1, now());
    await store.putNode(ids[i % ids.length]!, { type: "bench", data: { i } });
  }
  // Readers stop at this seq; one more write wakes those already waiting past it.
  lastSeq.value = store.graph.seq;
  submitted.set(store.graph.seq + 1, now());
  await store.putNode(ids[0]!, { type: "bench", data: { last: true } });
  await Promise.all(readers);
  return summarize(samples);
}

/** Acknowledged putNode/s of 64 writers for THROUGHPUT_MS, with `subscribers` reading along. */
async function writers(
  store: GraphStore,
  ids: readonly string[],
  subscribers: number,
): Promise<{ rate: number; cpuPerWrite: number }> {
  // Each reader takes what is there, then waits for the next wake-up, like the SSE route; it
  // stops when its subscription is closed (a closed subscription's wait resolves at once).
  const subs = Array.from({ length: subscribers }, () => store.changes.subscribe());
  const readers = subs.map(async (sub) => {
    while (!sub.closed) {
      const records = sub.take(1000);
      if (records === "resync") throw new Error("a bench subscriber fell behind (resync)");
      if (records.length === 0) await sub.wait();
    }
  });
  let acked = 0;
  const until = now() + THROUGHPUT_MS;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      for (let i = 0; now() < until; i++) {
        await store.putNode(ids[(w * 15 + i * 64) % ids.length]!, { type: "bench", data: { w, i } });
        acked++;
      }
    }),
  );
  const elapsed = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const sub of subs) sub.close();
  await Promise.all(readers);
  return { rate: (acked / elapsed) * 1000, cpuPerWrite: (cpu.user + cpu.system) / 1000 / acked };
}
