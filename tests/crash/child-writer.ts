/**
 * A writer process for the crash tests. Run it as
 *
 *   node --conditions=@dawsos/source --import <tsx loader> tests/crash/child-writer.ts <dir> <mode> [tag]
 *
 * (tests/crash/harness.ts builds that command line). It takes the directory's writer lock,
 * opens the graph store and then, depending on `mode`:
 *
 * - `put`:   4 concurrent writer loops; each prints `start <id>`, awaits `store.putNode(id, …)`,
 *            then prints `ack <id>`.
 * - `batch`: the same with `store.applyBatch` of 3 `put_node` ops per step: `start <a> <b> <c>`,
 *            then `ack <a> <b> <c>` (all-or-nothing, one journal record).
 * - `hold`:  writes one node `<tag>-held`, prints `ready <pid>` and waits until killed.
 *
 * In the writing modes, every ~60 steps one loop runs `store.backup()` (`backup-start` …
 * `backup-done`) and every ~100 steps `store.compact()` (`compact-start` … `compact-done`). The
 * store compacts on its own every 40 journal records. Markers printed on the way, so that the
 * parent can aim its SIGKILL at the inside of a compaction or backup:
 * - `snapshot-write` / `journal-reset`: a compaction starts writing `graph.json` / replaces
 *   `graph.journal`; `compacted <seq>`: the store reported a finished compaction;
 * - `backup-manifest`: a backup writes its manifest (its last step).
 *
 * Node ids are `<tag>-w<loop>-<i>` (`-<k>` appended in batch mode) with data `{ i, pad }`.
 *
 * Every line is written with a blocking `writeSync(1, …)` before the next step starts:
 * `process.stdout.write` to a pipe is asynchronous on Linux (a full pipe buffers the line in
 * this process, and a SIGKILL then loses it), and a `start` line the parent never sees would
 * turn a correctly recovered in-flight write into a false alarm. `ack` is printed only after
 * the promise resolved.
 *
 * Exit codes: 3 = the writer lock is held (message on stderr), 2 = anything else failed. The
 * child exits by itself when its stdin closes (the parent died) or after `MAX_LIFETIME_MS`.
 */
import { writeSync } from "node:fs";
import { type BatchOp, GraphStore, hasCode, type StoreEvent } from "@dawsos/core";
import { FsStorage } from "@dawsos/storage-fs";
import { CHILD_NODE_TYPE, CRASH_STORE_OPTIONS, EXIT_LOCK_HELD } from "./fixtures.ts";

const WRITERS = 4;
const BACKUP_EVERY = 60;
const COMPACT_EVERY = 100;
const MAX_LIFETIME_MS = 120_000;

type Mode = "put" | "batch" | "hold";

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes one line to fd 1 synchronously (see the file comment). */
function emit(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (err) {
      // fd 1 is non-blocking if anything opened process.stdout: wait for the parent to read.
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Atomics.wait(sleepCell, 0, 0, 1);
    }
  }
}

function fail(code: number, message: string): never {
  writeSync(2, `${message}\n`);
  process.exit(code);
}

/** Prints markers when the store writes the files a compaction or backup replaces. */
function withMarkers(storage: FsStorage): FsStorage {
  return new Proxy(storage, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "put" || prop === "putStream") {
        return (key: string, ...rest: unknown[]) => {
          if (key === "graph.json") emit("snapshot-write");
          else if (key === "graph.journal") emit("journal-reset");
          else if (key.startsWith("backups/") && key.endsWith("/manifest.json")) emit("backup-manifest");
          return (value as (...args: unknown[]) => unknown).apply(target, [key, ...rest]);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}

/**
 * Takes the lock; a lock file caught between create and write names no pid yet: ask again.
 * No waiting for a live holder: of two racing writers the loser must exit at once.
 */
async function openLocked(dir: string): Promise<FsStorage> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await FsStorage.open(dir, { lock: true, lockWaitMs: 0 });
    } catch (err) {
      if (!hasCode(err, "lock_held")) throw err;
      const details = (err as { details?: { pid?: number | null } }).details;
      if (details?.pid == null && attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      fail(EXIT_LOCK_HELD, `lock_held: ${(err as Error).message}`);
    }
  }
}

function onEvent(event: StoreEvent): void {
  if (event.type === "compacted") emit(`compacted ${event.seq}`);
  else if (event.type === "journal_tail_dropped") emit(`tail-dropped ${event.bytes}`);
  else if (event.type === "recovered") emit(`recovered ${JSON.stringify(event.report)}`);
}

function pad(): string {
  return "x".repeat(Math.floor(Math.random() * 301));
}

async function main(): Promise<void> {
  const [dir, modeArg = "put", tagArg] = process.argv.slice(2);
  if (!dir || !["put", "batch", "hold"].includes(modeArg)) {
    fail(2, "usage: child-writer.ts <dir> <put|batch|hold> [tag]");
  }
  const mode = modeArg as Mode;
  const tag = tagArg ?? `p${process.pid}`;

  // Never outlive the test run: stdin is a pipe from the parent and closes when it dies.
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref();

  const storage = await openLocked(dir);
  const store = await GraphStore.open(withMarkers(storage), { ...CRASH_STORE_OPTIONS, onEvent });

  if (mode === "hold") {
    await store.putNode(`${tag}-held`, { type: CHILD_NODE_TYPE, data: { pid: process.pid } });
    emit(`ready ${process.pid}`);
    setInterval(() => undefined, 60_000);
    return;
  }
  emit(`ready ${process.pid}`);

  let steps = 0;
  let nextBackup = BACKUP_EVERY;
  let nextCompact = COMPACT_EVERY;

  const writer = async (w: number): Promise<void> => {
    for (let i = 0; ; i++) {
      if (mode === "batch") {
        const ids = [0, 1, 2].map((k) => `${tag}-w${w}-${i}-${k}`);
        const ops: BatchOp[] = ids.map((id) => ({
          op: "put_node",
          id,
          type: CHILD_NODE_TYPE,
          data: { i, pad: pad() },
        }));
        emit(`start ${ids.join(" ")}`);
        await store.applyBatch(ops);
        emit(`ack ${ids.join(" ")}`);
      } else {
        const id = `${tag}-w${w}-${i}`;
        emit(`start ${id}`);
        await store.putNode(id, { type: CHILD_NODE_TYPE, data: { i, pad: pad() } });
        emit(`ack ${id}`);
      }
      steps++;
      if (steps >= nextBackup) {
        nextBackup += BACKUP_EVERY;
        emit("backup-start");
        const backup = await store.backup();
        emit(`backup-done ${backup.id}`);
      } else if (steps >= nextCompact) {
        nextCompact += COMPACT_EVERY + Math.floor(Math.random() * 40);
        emit("compact-start");
        await store.compact();
        emit("compact-done");
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

main().catch((err: unknown) => {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  fail(2, `child-writer failed: ${detail}`);
});
