/**
 * Deterministic crash points (issue 3, "Tests"): the writer dies at the k-th filesystem
 * operation of a commit, a compaction (with commits in flight) and a backup, for every k
 * until the operation completes without reaching the fault.
 *
 * Each run copies a prepared storage directory, opens it over
 * `TapFs → FaultyFs → serialFs → node:fs` with the lock, arms
 * `failOn({ op: "any", nth: k, code: "EIO", sticky: true })` right before the operation — so
 * operation k and everything after it fail, as if the process had died there (nothing it
 * tries later reaches the disk) — and lets the operation settle. Then the process "dies":
 * faults are cleared only to close the storage, which closes the journal handle and releases
 * the `.lock` (what the kernel does for a dead process; the test asserts nothing else is
 * written), and the directory is reopened by a fresh writer over the real fs. Reopen must
 * succeed with no recovery report, verify clean, leave no temp file, and hold
 * acknowledged ⊆ recovered ⊆ acknowledged ∪ in flight.
 *
 * A dry run counts the operation's fs operations (n); k runs from 1 to n + 1, the last run
 * being the one that completes without reaching its fault. `serialFs` makes the interleaving
 * of concurrent chains identical on every run, so k names the same operation in each of them
 * (independent runs execute a few at a time, see `pool`).
 */
import type { StoreEvent } from "@dawsos/core";
import { nodeFsOps } from "@dawsos/storage-fs";
import type { FsOpName } from "@dawsos/storage-fs/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CASE_CONCURRENCY,
  describeError,
  filesUnder,
  openFaulty,
  openWriter,
  pool,
  prepareTemplate,
  removeTempDirs,
  summarise,
  TEMP_FILE,
  type Template,
} from "../support/fault-harness.ts";
import { FAULT_SCENARIOS, type FaultScenario } from "../support/fault-scenarios.ts";

/** Operations that change nothing on disk (`close` only releases a descriptor). */
const READ_ONLY: ReadonlySet<FsOpName> = new Set([
  "read",
  "readFile",
  "readdir",
  "lstat",
  "stat",
  "realpath",
  "close",
]);

let template: Template;

beforeAll(async () => {
  template = await prepareTemplate();
});

afterAll(removeTempDirs);

interface RunResult {
  /** Whether the fault was reached at all. */
  hit: boolean;
  /** The operation that failed first, e.g. `rename .graph.json….tmp`. */
  faulted: string;
  ok: boolean;
  problems: string[];
}

/** The operation succeeded and every change it put was acknowledged. */
async function runToTheEnd(
  scenario: FaultScenario,
  { store, ledger, tap }: Awaited<ReturnType<typeof openFaulty>>,
): Promise<boolean> {
  const { mainOk } = await scenario.run(store, ledger, tap);
  return mainOk && scenario.puts.every((id) => ledger.outcome(id) === "acknowledged");
}

async function crashAt(scenario: FaultScenario, k: number): Promise<RunResult> {
  const opened = await openFaulty(template, "crash");
  const { dir, faulty, storage, ledger } = opened;
  const problems: string[] = [];

  faulty.clearLog();
  faulty.failOn({ op: "any", nth: k, code: "EIO", sticky: true });
  const ok = await runToTheEnd(scenario, opened);
  const first = faulty.log.find((e) => e.injected !== undefined);
  const hit = first !== undefined;
  const faulted = first ? `${first.op} ${first.path}${first.to ? ` -> ${first.to}` : ""}` : "none";
  if (!hit && !ok) problems.push("the operation failed although no fault was reached");

  // The process dies here. Only to release what the kernel would release (the journal handle
  // and the lock) are faults cleared; nothing else may be touched.
  faulty.clearFaults();
  faulty.clearLog();
  await storage.close().catch(() => undefined);
  // (Reads may still trickle in from a directory walk the failed operation abandoned: harmless.)
  for (const e of faulty.log) {
    const allowed =
      READ_ONLY.has(e.op) ||
      (e.op === "open" && e.flags === "r") ||
      e.path === ".lock" ||
      (e.op === "syncDir" && e.path === ".");
    if (!allowed) problems.push(`closing the dead writer's storage wrote: ${e.op} ${e.path}`);
  }

  const events: StoreEvent[] = [];
  let reopened: Awaited<ReturnType<typeof openWriter>>;
  try {
    reopened = await openWriter(dir, nodeFsOps, { onEvent: (e) => events.push(e) });
  } catch (err) {
    return { hit, faulted, ok, problems: [...problems, `reopen failed: ${describeError(err)}`] };
  }
  try {
    const { store: after } = reopened;
    if (after.recovery) problems.push(`reopen recovered: ${JSON.stringify(after.recovery)}`);
    const report = await after.verify();
    for (const f of report.files)
      if (!f.ok) problems.push(`verify: ${f.key}: ${f.error?.message ?? "not ok"}`);
    problems.push(...ledger.problems(after.graph));
    const temps = (await filesUnder(dir)).filter((f) => TEMP_FILE.test(f));
    if (temps.length > 0) problems.push(`temp files after reopen: ${temps.join(", ")}`);
  } finally {
    await reopened.storage.close();
  }
  return { hit, faulted, ok, problems };
}

/** How many fs operations `scenario` performs without faults. */
async function countOps(scenario: FaultScenario): Promise<number> {
  const opened = await openFaulty(template, "dry");
  const { faulty, storage } = opened;
  faulty.clearLog();
  const ok = await runToTheEnd(scenario, opened);
  const count = faulty.log.length;
  await storage.close();
  if (!ok) throw new Error(`dry run of ${scenario.name} failed`);
  return count;
}

describe("crash at the k-th fs operation, for every k", () => {
  for (const scenario of FAULT_SCENARIOS) {
    it(`${scenario.name}: reopen succeeds, verifies, and acknowledged ⊆ recovered ⊆ acknowledged ∪ in flight`, async () => {
      const ops = await countOps(scenario);
      expect(ops).toBeGreaterThanOrEqual(scenario.minOps);
      // k = 1 … ops crash inside the operation; k = ops + 1 is the run that completes unharmed.
      const ks = Array.from({ length: ops + 1 }, (_, i) => i + 1);
      const results = await pool(ks, CASE_CONCURRENCY, (k) => crashAt(scenario, k));
      const problems: { where: string; problem: string }[] = [];
      for (const [i, result] of results.entries()) {
        const k = i + 1;
        for (const problem of result.problems)
          problems.push({ where: `k=${k} (${result.faulted})`, problem });
        if (k <= ops && !result.hit) problems.push({ where: `k=${k}`, problem: "the fault was not reached" });
      }
      const last = results.at(-1)!;
      expect(last.hit, "the run with k = ops + 1 reaches no fault").toBe(false);
      expect(last.ok, "the fault-free run completes").toBe(true);
      // A fault at the first operation always fails the operation under test.
      expect(results[0]!.ok, `k=1 (${results[0]!.faulted}) must not succeed`).toBe(false);
      expect(summarise(problems)).toEqual([]);
    });
  }
});
