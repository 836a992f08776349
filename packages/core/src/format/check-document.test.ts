import { describe, expect, it } from "vitest";
import type { DawsosError } from "../errors/errors.ts";
import { createSha256 } from "../integrity/sha256.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import { checkDocumentStream } from "./check-document.ts";
import { NOT_LINE_LAYOUT } from "./document-records.ts";
import { readDocument } from "./read-document.ts";
import { captureSnapshot, documentText } from "./write-document.ts";

const NOW = "2026-01-02T03:04:05.000Z";
const encoder = new TextEncoder();

async function* chunked(text: string, size = 89): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The seed as our stored document text (line layout, trailer checksum). */
function storedText(): string {
  const { graph } = readDocument(investmentFrameworkSeed, { file: "seed", now: NOW });
  return [...documentText(captureSnapshot(graph))].join("");
}

/** Re-signs edited text, so only its content is wrong (the trailer hashes the lines joined). */
function resign(text: string): string {
  const body = text.replace(/,"checksum":"[0-9a-f]{64}"\}\n?$/, "");
  const hasher = createSha256();
  hasher.update(`${body.replaceAll("\n", "")}}`);
  return `${body},"checksum":"${hasher.digestHex()}"}\n`;
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: DawsosError) => err.code ?? String(err),
  );

describe("checkDocumentStream (verify without building the graph)", () => {
  it("accepts a stored document, with the counts and the checksum loading reports", async () => {
    const text = storedText();
    const { graph } = readDocument(investmentFrameworkSeed, { file: "seed", now: NOW });
    const checked = await checkDocumentStream(chunked(text), "graph.json");
    expect(checked).not.toBe(NOT_LINE_LAYOUT);
    expect(checked).toMatchObject({ nodes: graph.nodeCount, edges: graph.edgeCount });
    expect(resign(text)).toBe(text);
  });

  it("hands another layout back (pretty JSON) after reading one line", async () => {
    expect(await checkDocumentStream(chunked(JSON.stringify(investmentFrameworkSeed, null, 2)), "x")).toBe(
      NOT_LINE_LAYOUT,
    );
  });

  it("finds damage the checksum cannot: a re-signed edge to a missing node, a duplicate, a bad record", async () => {
    const lines = storedText().split("\n");
    const firstNode = lines.findIndex(
      (l, i) => i > 0 && l.startsWith('"') && lines[i - 1]!.endsWith('"nodes":{'),
    );
    expect(firstNode).toBeGreaterThan(0);
    const edgeLine = lines.findIndex((l, i) => i > 0 && l.startsWith('{"'));
    expect(edgeLine).toBeGreaterThan(0);

    // An edge's endpoint removed: the node line goes, everything re-signed.
    const endpoint = (JSON.parse(lines[edgeLine]!.replace(/,$/, "")) as { from: string }).from;
    const without = lines.filter((l) => !l.startsWith(`${JSON.stringify(endpoint)}:`));
    expect(await codeOf(checkDocumentStream(chunked(resign(without.join("\n"))), "v"))).toBe(
      "invalid_document",
    );

    // A duplicated edge line.
    const duplicated = [...lines];
    duplicated.splice(edgeLine, 0, lines[edgeLine]!.endsWith(",") ? lines[edgeLine]! : `${lines[edgeLine]},`);
    expect(await codeOf(checkDocumentStream(chunked(resign(duplicated.join("\n"))), "v"))).toBe(
      "invalid_document",
    );

    // Edges out of id order were not written by us: handed back to be loaded whole (where a
    // duplicate anywhere is caught), never passed unchecked.
    const swapped = [...lines];
    const a = swapped[edgeLine]!;
    const b = swapped[edgeLine + 1]!;
    expect(a.endsWith(",") && b.endsWith(",")).toBe(true);
    swapped[edgeLine] = b;
    swapped[edgeLine + 1] = a;
    expect(await checkDocumentStream(chunked(resign(swapped.join("\n"))), "v")).toBe(NOT_LINE_LAYOUT);

    // A node whose type is not a string.
    const bad = [...lines];
    bad[firstNode] = bad[firstNode]!.replace(/"type":"[^"]*"/, '"type":7');
    expect(bad[firstNode]).not.toBe(lines[firstNode]);
    expect(await codeOf(checkDocumentStream(chunked(resign(bad.join("\n"))), "v"))).toBe("invalid_document");

    // A changed value that breaks no rule is the checksum's to find.
    const edited = [...lines];
    edited[firstNode] = edited[firstNode]!.replace('"created_at":"2026', '"created_at":"2027');
    expect(edited[firstNode]).not.toBe(lines[firstNode]);
    expect(await codeOf(checkDocumentStream(chunked(edited.join("\n")), "v"))).toBe("checksum_mismatch");
  });
});
