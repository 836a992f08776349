import { describe, expect, it } from "vitest";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import { parseJsonDocument, readDocument } from "./read-document.ts";
import { assertDocumentChecksum, documentChecksum, verifyCanonicalBytes } from "./verify-document.ts";
import { encodeDocument } from "./write-document.ts";

const NOW = "2026-01-02T03:04:05.000Z";
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

describe("document round trip", () => {
  it("writes a canonical, checksummed document that verifies by bytes and by re-serialisation", async () => {
    const { graph, format } = readDocument(investmentFrameworkSeed, { now: NOW, file: "seed" });
    expect(format).toBe("seed");
    const { bytes, checksum } = await encodeDocument(graph);
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyCanonicalBytes(bytes)).toBe(checksum);
    const parsed = parseJsonDocument(bytes, "graph.json") as Record<string, unknown>;
    expect(parsed.checksum).toBe(checksum);
    expect(documentChecksum(parsed)).toBe(checksum);
    assertDocumentChecksum(parsed, "graph.json");
    const again = readDocument(parsed, { now: "later", file: "graph.json" });
    expect(again.format).toBe("dawsos");
    const second = await encodeDocument(again.graph);
    expect(second.checksum).toBe(checksum);
    expect(decode(second.bytes)).toBe(decode(bytes));
  });

  it("detects a flipped byte anywhere in the file", async () => {
    const { graph } = readDocument(investmentFrameworkSeed, { now: NOW });
    const { bytes } = await encodeDocument(graph);
    for (const at of [1, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 10]) {
      const copy = bytes.slice();
      copy[at] = copy[at]! ^ 0x01;
      expect(verifyCanonicalBytes(copy)).toBeNull();
    }
  });
});
