import { hasCode } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { checkIfMatch } from "./etag.ts";

const CURRENT = '"abc123"';

/** The error `checkIfMatch` throws, or `null` when the precondition holds. */
function outcome(header: string | undefined, current: string | null = CURRENT): unknown {
  try {
    checkIfMatch(header, current);
    return null;
  } catch (err) {
    return err;
  }
}

describe("checkIfMatch (RFC 9110 If-Match, strong comparison)", () => {
  it("holds without the header, for the current tag, for * and for a list containing the current tag", () => {
    for (const header of [undefined, CURRENT, "*", `"other", ${CURRENT}`, ` ${CURRENT} `]) {
      expect(outcome(header), String(header)).toBeNull();
    }
  });

  it("fails with precondition_failed for another tag, * on a missing resource, and any weak tag", () => {
    const cases: Array<[string, string | null]> = [
      ['"other"', CURRENT],
      ["*", null],
      [`W/${CURRENT}`, CURRENT],
      [`W/"other", W/${CURRENT}`, CURRENT],
      [`w/${CURRENT}`, CURRENT],
    ];
    for (const [header, current] of cases) {
      expect(hasCode(outcome(header, current), "precondition_failed"), header).toBe(true);
    }
  });
});
