import { describe, expect, it } from "vitest";
import { compareTimestampIdsDesc, nextTimestampId } from "./timestamp-ids.ts";

const at = new Date("2026-12-04T10:11:12.345Z");

describe("timestamp ids", () => {
  it("are the bare UTC second when it is new, then -2, -3 … past the newest", () => {
    expect(nextTimestampId(at, [])).toBe("20261204_101112");
    expect(nextTimestampId(at, ["20261204_101111-9"])).toBe("20261204_101112");
    expect(nextTimestampId(at, ["20261204_101112"])).toBe("20261204_101112-2");
    expect(nextTimestampId(at, ["20261204_101112-9", "20261204_101112"])).toBe("20261204_101112-10");
  });

  it("never hand out an id freed by retention (the freed one would sort oldest)", () => {
    // Retention deleted the bare id and -2: the next is still after -31.
    const left = Array.from({ length: 30 }, (_, i) => `20261204_101112-${i + 3}`);
    expect(nextTimestampId(at, left)).toBe("20261204_101112-33");
  });

  it("sort after the newest even when the clock stepped back", () => {
    expect(nextTimestampId(at, ["20261204_120000"])).toBe("20261204_120000-2");
  });

  it("order -10 after -9 and the bare id first within a second", () => {
    const ids = [
      "20261204_101112-10",
      "20261204_101112",
      "20261204_101112-9",
      "20261204_101113",
      "20261204_101112-2",
    ];
    expect([...ids].sort(compareTimestampIdsDesc)).toEqual([
      "20261204_101113",
      "20261204_101112-10",
      "20261204_101112-9",
      "20261204_101112-2",
      "20261204_101112",
    ]);
  });
});
