import { describe, expect, it } from "vitest";
import {
  COMPACT_AFTER_BYTES_CAP,
  COMPACT_AFTER_BYTES_FLOOR,
  COMPACT_AFTER_RECORDS_CAP,
  COMPACT_AFTER_RECORDS_FLOOR,
  compactionDue,
} from "./compaction-policy.ts";

const MiB = 1024 * 1024;

describe("compactionDue", () => {
  const small = { snapshotBytes: 1 * MiB, records: 4_000 };
  it("a small graph compacts at the floors: 64 MiB or 100,000 records", () => {
    expect(compactionDue({ bytes: COMPACT_AFTER_BYTES_FLOOR - 1, records: 99_999 }, small)).toBe(false);
    expect(compactionDue({ bytes: COMPACT_AFTER_BYTES_FLOOR, records: 1 }, small)).toBe(true);
    expect(compactionDue({ bytes: 1, records: COMPACT_AFTER_RECORDS_FLOOR }, small)).toBe(true);
  });

  it("a larger graph lets its journal grow to its own size in bytes and in records", () => {
    const graph = { snapshotBytes: 106 * MiB, records: 400_000 };
    expect(compactionDue({ bytes: 100 * MiB, records: 399_999 }, graph)).toBe(false);
    expect(compactionDue({ bytes: 106 * MiB, records: 1 }, graph)).toBe(true);
    expect(compactionDue({ bytes: 1, records: 400_000 }, graph)).toBe(true);
  });

  it("up to the caps: open reads the journal whole, so it never grows past 256 MiB or 1M records", () => {
    const huge = { snapshotBytes: 4096 * MiB, records: 8_000_000 };
    expect(compactionDue({ bytes: COMPACT_AFTER_BYTES_CAP - 1, records: 999_999 }, huge)).toBe(false);
    expect(compactionDue({ bytes: COMPACT_AFTER_BYTES_CAP, records: 1 }, huge)).toBe(true);
    expect(compactionDue({ bytes: 1, records: COMPACT_AFTER_RECORDS_CAP }, huge)).toBe(true);
  });

  it("bounds given in the options win over the defaults, either one alone", () => {
    const large = { snapshotBytes: 1100 * MiB, records: 4_000_000 };
    expect(compactionDue({ bytes: 10, records: 25 }, large, { compactAfterRecords: 25 })).toBe(true);
    expect(compactionDue({ bytes: 10, records: 24 }, large, { compactAfterRecords: 25 })).toBe(false);
    expect(compactionDue({ bytes: 2 * MiB, records: 1 }, small, { compactAfterBytes: 2 * MiB })).toBe(true);
    // The other bound keeps its default.
    expect(compactionDue({ bytes: 1, records: 100_000 }, small, { compactAfterBytes: 2 * MiB })).toBe(true);
  });
});
