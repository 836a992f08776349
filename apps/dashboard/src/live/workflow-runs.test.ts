import { describe, expect, it } from "vitest";
import type { WorkflowRun } from "../api/types.ts";
import { runRecorded } from "./workflow-runs.ts";

const run = (workflow: string, timestamp: string, duration_ms?: number): WorkflowRun => ({
  workflow,
  timestamp,
  ...(duration_ms === undefined ? {} : { duration_ms }),
  steps: [],
});

describe("runRecorded", () => {
  const pending = { workflow: "regime_check", at: "2026-01-01T10:00:01.000Z" };

  it("finds the run that was going on when the change was made", () => {
    expect(runRecorded([run("regime_check", "2026-01-01T10:00:00.500Z", 800)], pending)).toBe(true);
    // Rounded to the millisecond on both sides.
    expect(runRecorded([run("regime_check", "2026-01-01T10:00:00.500Z", 498)], pending)).toBe(true);
    expect(runRecorded([run("regime_check", "2026-01-01T10:00:00.000Z")], pending)).toBe(true);
  });

  it("does not take an earlier run, a later one or another workflow's for it", () => {
    expect(runRecorded([], pending)).toBe(false);
    expect(runRecorded([run("regime_check", "2026-01-01T09:59:00.000Z", 1_000)], pending)).toBe(false);
    expect(runRecorded([run("regime_check", "2026-01-01T10:00:02.000Z", 10)], pending)).toBe(false);
    expect(runRecorded([run("refresh_quotes", "2026-01-01T10:00:00.500Z", 800)], pending)).toBe(false);
  });
});
