/**
 * ENOSPC and EIO at every step (issue 3, "Tests"): for a commit, a group commit, a compaction
 * (with commits in flight) and a backup, a dry run lists the operation's fs operations; then,
 * for every operation k of that list, every code in [EIO, ENOSPC], once (`sticky: false`) and —
 * for writes — also as a short write followed by the error (`partial: true`), a fresh copy of a
 * prepared storage directory runs the operation with that one fault. Afterwards:
 *
 * - the caller got the error (a fault in a commit's journal write or fdatasync rejects that
 *   commit; any other fault — except a failed close(2) of an already fsynced descriptor —
 *   rejects the compaction or backup): a failed write or fsync is never retried and then
 *   acknowledged;
 * - nothing is partially acknowledged: every acknowledged change is in memory and on disk,
 *   every rejected one is in neither;
 * - `graph.json` is byte-identical to before, unless the new snapshot had already been renamed
 *   into place when the fault hit (a compaction's journal reset failing after its snapshot
 *   step: a complete, verified snapshot of durable state, which is what a crash there leaves);
 *   existing backups are byte-identical; a failed backup adds no backup;
 * - no `*.tmp` file remains anywhere under the directory; no file descriptor is left open;
 * - the in-memory graph equals what a fresh (read-only) open of the directory shows;
 * - once the fault is cleared, a putNode, a compaction and another putNode succeed, and a
 *   fresh writer finds everything acknowledged, no recovery report, and a clean verify.
 *
 * `serialFs` keeps the operation order identical between the dry run and the faulted runs.
 */
import type { FaultCode, FsLogEntry } from "@dawsos/storage-fs/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CASE_CONCURRENCY,
  describeError,
  filesUnder,
  graphText,
  openFaulty,
  openReader,
  openWriter,
  pool,
  prepareTemplate,
  readTree,
  removeTempDirs,
  summarise,
  TEMP_FILE,
  type Template,
} from "../support/fault-harness.ts";
import { FAULT_SCENARIOS, type FaultScenario } from "../support/fault-scenarios.ts";

let template: Template;

beforeAll(async () => {
  template = await prepareTemplate();
});

afterAll(removeTempDirs);

const isGuarded = (file: string) =>
  file === "graph.json" || file.startsWith("backups/") || /^graph_/.test(file);

/** The operations `scenario` performs without faults (the list k ranges over). */
async function dryRun(scenario: FaultScenario): Promise<FsLogEntry[]> {
  const { faulty, tap, storage, store, ledger } = await openFaulty(template, "dry");
  faulty.clearLog();
  const { mainOk } = await scenario.run(store, ledger, tap);
  const log = [...faulty.log];
  await storage.close();
  if (!mainOk || ledger.ids("rejected").length > 0) throw new Error(`dry run of ${scenario.name} failed`);
  return log;
}

/** Descriptors opened in `log` and not closed (an injected `close` still closes, see FaultyFs). */
function leakedHandles(log: readonly FsLogEntry[]): string[] {
  const open = new Map<string, number>();
  for (const e of log) {
    if (e.op === "open" && e.injected === undefined) open.set(e.path, (open.get(e.path) ?? 0) + 1);
    if (e.op === "close") open.set(e.path, (open.get(e.path) ?? 0) - 1);
  }
  return [...open].filter(([, n]) => n > 0).map(([path, n]) => `${path} ×${n}`);
}

async function faultCase(
  scenario: FaultScenario,
  k: number,
  code: FaultCode,
  partial: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  const { dir, faulty, tap, storage, store, ledger } = await openFaulty(template, "fault");
  const before = await readTree(dir, isGuarded);
  const backupsBefore = (await store.listBackups()).map((b) => b.id);

  faulty.clearLog();
  faulty.failOn({ op: "any", nth: k, code, sticky: false, partial });
  const { mainOk } = await scenario.run(store, ledger, tap);
  const log = [...faulty.log];
  const faultAt = log.findIndex((e) => e.injected !== undefined);
  const fault = log[faultAt];
  if (fault === undefined) return ["the fault was not reached (the operation is not deterministic?)"];
  faulty.clearFaults();

  // The caller gets the error.
  const journalWrite = fault.path === "graph.journal" && (fault.op === "write" || fault.op === "datasync");
  const rejectedPuts = ledger.ids("rejected");
  if (!scenario.admin || journalWrite) {
    if (rejectedPuts.length === 0) problems.push("a fault in the journal write/fdatasync rejected no commit");
  }
  // (A failed close(2) of a descriptor whose data was already fsynced endangers nothing, so an
  // operation may carry on past it; every other failed step must reach the caller.)
  if (scenario.admin && !journalWrite && fault.op !== "close" && mainOk) {
    problems.push("the operation succeeded although the fault hit it");
  }
  if (!scenario.admin && rejectedPuts.length === 0 && mainOk) problems.push("all commits were acknowledged");

  // Nothing partially acknowledged; memory rolled back to exactly what is durable.
  for (const p of ledger.problems(store.graph, { rejectedAbsent: true })) problems.push(`in memory: ${p}`);
  const reader = await openReader(dir);
  try {
    if ((await graphText(store.graph)) !== (await graphText(reader.store.graph))) {
      problems.push("the in-memory graph differs from what a fresh open of the directory shows");
    }
  } finally {
    await reader.storage.close();
  }

  // graph.json and backups intact; no temp files; no descriptors left open.
  const after = await readTree(dir, isGuarded);
  const renamedGraphAt = log.findIndex((e) => e.op === "rename" && e.to === "graph.json");
  const snapshotInPlace = renamedGraphAt !== -1 && renamedGraphAt < faultAt;
  for (const [file, bytes] of before) {
    const now = after.get(file);
    if (now === undefined) problems.push(`${file} disappeared`);
    else if (!now.equals(bytes)) {
      const allowed = file === "graph.json" && (mainOk || snapshotInPlace);
      if (!allowed) problems.push(`${file} changed although the operation failed before replacing it`);
    }
  }
  // A failed backup adds no backup — unless only the directory fsync after its manifest was
  // renamed into place failed: then it is complete but not known to be durable (verified below).
  const manifestAt = log.findIndex(
    (e) => e.op === "rename" && /^backups\/[^/]+\/manifest\.json$/.test(e.to ?? ""),
  );
  if (!mainOk && !(manifestAt !== -1 && manifestAt < faultAt)) {
    const backupsNow = (await store.listBackups()).map((b) => b.id);
    if (backupsNow.join() !== backupsBefore.join()) problems.push("a failed backup was listed as a backup");
  }
  const temps = (await filesUnder(dir)).filter((f) => TEMP_FILE.test(f));
  if (temps.length > 0) problems.push(`temp files left: ${temps.join(", ")}`);
  const leaked = leakedHandles(log);
  if (leaked.length > 0) problems.push(`file descriptors left open: ${leaked.join(", ")}`);

  // Usable again once the fault clears.
  if ((await ledger.put(store, "AFTER1")) !== "acknowledged") problems.push("putNode after the fault failed");
  const compacted = await store.compact().then(
    () => null,
    (err: unknown) => describeError(err),
  );
  if (compacted !== null) problems.push(`compaction after the fault failed: ${compacted}`);
  if ((await ledger.put(store, "AFTER2")) !== "acknowledged") {
    problems.push("putNode after the fault and a compaction failed");
  }
  await storage.close().catch(() => undefined); // the store is abandoned, as in a crash

  let reopened: Awaited<ReturnType<typeof openWriter>>;
  try {
    reopened = await openWriter(dir);
  } catch (err) {
    return [...problems, `reopen failed: ${describeError(err)}`];
  }
  try {
    const { store: fresh } = reopened;
    if (fresh.recovery) problems.push(`reopen recovered: ${JSON.stringify(fresh.recovery)}`);
    for (const p of ledger.problems(fresh.graph, { rejectedAbsent: true }))
      problems.push(`after reopen: ${p}`);
    const report = await fresh.verify();
    for (const f of report.files)
      if (!f.ok) problems.push(`verify: ${f.key}: ${f.error?.message ?? "not ok"}`);
  } finally {
    await reopened.storage.close();
  }
  return problems;
}

describe("a single EIO or ENOSPC at every fs operation", () => {
  for (const scenario of FAULT_SCENARIOS) {
    it(`${scenario.name}: the caller gets the error, nothing partial, files intact, usable afterwards`, async () => {
      const ops = await dryRun(scenario);
      expect(ops.length).toBeGreaterThanOrEqual(scenario.minOps);
      const cases: { k: number; code: FaultCode; partial: boolean; where: string }[] = [];
      for (let k = 1; k <= ops.length; k++) {
        const op = ops[k - 1]!;
        for (const code of ["EIO", "ENOSPC"] as const) {
          for (const partial of op.op === "write" ? [false, true] : [false]) {
            cases.push({
              k,
              code,
              partial,
              where: `k=${k} ${code}${partial ? " partial" : ""} (${op.op} ${op.path})`,
            });
          }
        }
      }
      const results = await pool(cases, CASE_CONCURRENCY, async ({ k, code, partial, where }) =>
        (await faultCase(scenario, k, code, partial)).map((problem) => ({ where, problem })),
      );
      const problems = results.flat();
      expect(cases.length).toBeGreaterThanOrEqual(ops.length * 2);
      expect(summarise(problems)).toEqual([]);
    });
  }
});
