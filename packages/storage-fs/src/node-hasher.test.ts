import { createSha256, digestHexWith } from "@dawsos/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeSha256 } from "./node-hasher.ts";

describe("nodeSha256", () => {
  it("gives the portable hasher's digest, incrementally and in one shot", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        const portable = digestHexWith(createSha256, text);
        expect(nodeSha256.hashHex?.(text)).toBe(portable);
        const h = nodeSha256();
        h.update(text);
        expect(h.digestHex()).toBe(portable);
        expect(digestHexWith(nodeSha256, text)).toBe(portable);
      }),
      { numRuns: 300 },
    );
  });
});
