/**
 * Group 5 (issue 3): writer latency while the graph is compacted. 8 writers run `putNode`
 * continuously; after a few seconds a compaction is triggered (`store.compact()`, or
 * `store.save()` — a full snapshot — where this GraphStore has no `compact`).
 */
import type { GraphStore } from "@dawsos/core";
import {
  type BenchContext,
  type CaseResult,
  closeStore,
  type Fixture,
  openStore,
  removeDir,
  storageCopy,
  updateFor,
} from "../fixture.ts";
import { collectGarbage, now, summarize } from "../measure.ts";
import { fmtMs, fmtRatio, type Row, spreadOf } from "../table.ts";

export const group = {
  id: "compaction",
  title: "5. Writer latency during compaction (8 writers)",
  description:
    "8 writers run sequential `store.putNode` calls continuously; after ~4 s `store.compact()` is " +
    "called (`store.save()` where GraphStore has no `compact` yet). Latency of updates that overlap " +
    "the compaction vs those before it. Issue 3: compaction must not block writers for the duration " +
    "of a full serialisation — so the target is a p99 during compaction below half the compaction time.",
};

const WRITERS = 8;
const BEFORE_MS = 4000;
const AFTER_MS = 500;

interface Op {
  start: number;
  end: number;
}

export async function run(fx: Fixture, ctx: BenchContext): Promise<CaseResult> {
  const dir = storageCopy(fx, ctx, "compaction");
  const store = await openStore(dir, fx);
  const compact = (store as GraphStore & { compact?: () => Promise<unknown> }).compact;
  const how = typeof compact === "function" ? "store.compact()" : "store.save() (no compact())";
  ctx.log(`[${fx.size}] compaction: ${WRITERS} writers, then ${how}`);

  const ops: Op[] = [];
  let errors = 0;
  let firstError = "";
  let stop = false;
  const writer = async (w: number) => {
    for (let k = 0; !stop; k++) {
      const id = fx.ids[(w + k * WRITERS) % fx.ids.length]!;
      const start = now();
      try {
        await store.putNode(id, updateFor(fx, id, k));
        ops.push({ start, end: now() });
      } catch (err) {
        errors++;
        firstError ||= err instanceof Error ? err.message : String(err);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  const begun = now();
  const running = Array.from({ length: WRITERS }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, BEFORE_MS));
  const c0 = now();
  let compactError = "";
  try {
    if (typeof compact === "function") await compact.call(store);
    else await store.save();
  } catch (err) {
    compactError = err instanceof Error ? err.message : String(err);
  }
  const c1 = now();
  await new Promise((r) => setTimeout(r, AFTER_MS));
  stop = true;
  await Promise.all(running);
  await closeStore(store);
  removeDir(dir);
  collectGarbage();

  // "Before": finished before compaction began, skipping the first half second (warm-up).
  const before = summarize(
    ops.filter((o) => o.start >= begun + 500 && o.end <= c0).map((o) => o.end - o.start),
  );
  const during = summarize(ops.filter((o) => o.start < c1 && o.end > c0).map((o) => o.end - o.start));
  const compactionMs = c1 - c0;
  const rows: Row[] = [
    {
      name: `writer latency before compaction (${WRITERS} writers)`,
      size: fx.size,
      median: before.median,
      spread: spreadOf(before, { p99: true }),
      opsPerSec: (before.n / Math.max(1, c0 - begun - 500)) * 1000,
    },
    {
      name: `compaction: ${how}`,
      size: fx.size,
      median: compactError ? `failed: ${compactError}` : compactionMs,
      spread: "single run",
    },
    {
      name: "writer latency during compaction",
      size: fx.size,
      median: during.median,
      spread: spreadOf(during, { p99: true }),
      vsPeer: before.n > 0 && during.n > 0 ? `p99 ${fmtRatio(during.p99 / before.p99)} before` : "—",
      target: "p99 < ½ compaction time",
      met: during.n > 0 ? during.p99 < compactionMs / 2 : undefined,
    },
  ];
  return {
    rows,
    notes: [
      `${fx.size}: compaction took ${fmtMs(compactionMs)}; ${during.n} updates overlapped it, max latency ` +
        `${fmtMs(during.max)}; ${ops.length} updates in all` +
        (errors > 0 ? `; ${errors} failed (${firstError})` : ""),
    ],
  };
}
