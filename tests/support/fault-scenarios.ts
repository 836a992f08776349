/**
 * The operations the deterministic fault suites break, one table for both:
 * tests/faults/crash-points.test.ts kills the writer at every fs operation of each, and
 * tests/faults/faults.test.ts injects one EIO or ENOSPC at every one. Each runs on a copy of the
 * `prepareTemplate` directory (history H1…H7, an existing backup, a non-empty journal).
 */
import type { GraphStore } from "@dawsos/core";
import { GRAPH_TEMP, type Ledger, settle, type TapFs } from "./fault-harness.ts";

export interface FaultScenario {
  name: string;
  /** A compaction or backup (the operation the caller waits on), not commits. */
  admin: boolean;
  /** Lower bound on the fs operations it performs (guards against a vacuous loop over k). */
  minOps: number;
  /** The nodes it puts through the ledger, whatever their outcome. */
  puts: readonly string[];
  /**
   * Starts the operation under test; resolves once it and everything it started have settled.
   * `mainOk`: it succeeded (for commits: every one was acknowledged).
   */
  run(store: GraphStore, ledger: Ledger, tap: TapFs): Promise<{ mainOk: boolean }>;
}

const succeeded = (operation: Promise<unknown>): Promise<boolean> =>
  operation.then(
    () => true,
    () => false,
  );

export const FAULT_SCENARIOS: readonly FaultScenario[] = [
  {
    name: "a commit (one putNode after some history)",
    admin: false,
    minOps: 2,
    puts: ["X1"],
    async run(store, ledger) {
      return { mainOk: (await ledger.put(store, "X1")) === "acknowledged" };
    },
  },
  {
    name: "a group commit (three concurrent putNodes)",
    admin: false,
    minOps: 4,
    puts: ["G1", "G2", "G3"],
    async run(store, ledger) {
      const outcomes = await Promise.all(["G1", "G2", "G3"].map((id) => ledger.put(store, id)));
      return { mainOk: outcomes.every((o) => o === "acknowledged") };
    },
  },
  {
    name: "a compaction (non-empty journal) with putNodes in flight",
    admin: true,
    minOps: 15,
    puts: ["C0", "C1"],
    async run(store, ledger, tap) {
      // C0 is issued with the compaction (it lands before the snapshot is captured); C1 starts
      // when the snapshot temp file is opened, so it is appended while the snapshot is written
      // and must survive the journal reset.
      const inFlight: Promise<unknown>[] = [ledger.put(store, "C0")];
      tap.onOpen = (path) => {
        if (!GRAPH_TEMP.test(path)) return;
        tap.onOpen = undefined;
        inFlight.push(ledger.put(store, "C1"));
      };
      const mainOk = await succeeded(store.compact());
      await settle(inFlight);
      return { mainOk };
    },
  },
  {
    name: "a backup (non-empty journal, so it compacts first)",
    admin: true,
    minOps: 30,
    puts: [],
    async run(store) {
      return { mainOk: await succeeded(store.backup()) };
    },
  },
];
