import { describe, expect, it } from "vitest";
import type { DawsosError } from "../errors/errors.ts";
import type { GraphEdge, GraphNode, Pattern } from "../graph/types.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import { type DocumentMembers, NOT_LINE_LAYOUT, readDocumentRecords } from "./document-records.ts";
import { readDocument } from "./read-document.ts";
import { encodeDocument } from "./write-document.ts";

const NOW = "2026-01-02T03:04:05.000Z";
const encoder = new TextEncoder();

/** Small, odd-sized chunks, so lines straddle chunk boundaries. */
async function* chunked(bytes: Uint8Array, size = 97): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function collector() {
  const seen = {
    nodes: [] as GraphNode[],
    edges: [] as GraphEdge[],
    patterns: [] as Array<[string, Pattern]>,
  };
  return {
    seen,
    sink: {
      node: (node: GraphNode) => void seen.nodes.push(node),
      edge: (edge: GraphEdge) => void seen.edges.push(edge),
      pattern: (id: string, pattern: Pattern) => void seen.patterns.push([id, pattern]),
    },
  };
}

async function seedDocument() {
  const { graph } = readDocument(investmentFrameworkSeed, { now: NOW });
  graph.advanceSeq(7);
  return { graph, ...(await encodeDocument(graph)) };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (err: DawsosError) => err.code,
  );

describe("readDocumentRecords", () => {
  it("hands every record to the sink in file order and returns the verified members", async () => {
    const { graph, bytes, checksum } = await seedDocument();
    const { seen, sink } = collector();
    const members = (await readDocumentRecords(chunked(bytes), "graph.json", sink)) as DocumentMembers;
    expect(members.checksum).toBe(checksum);
    expect(members.seq).toBe(7);
    expect(members.metadata.stats).toBeUndefined();
    expect(seen.nodes.map((n) => n.id)).toEqual(graph.sortedNodeIds());
    expect(seen.edges.map((e) => e.id)).toEqual(graph.sortedEdgeIds());
    expect(seen.patterns.length).toBe([...graph.patterns()].length);
    for (const node of seen.nodes) expect(node).toEqual(graph.getNode(node.id));
  });

  it("returns NOT_LINE_LAYOUT for a pretty-printed document, having read only its first line", async () => {
    const { bytes } = await seedDocument();
    const pretty = encoder.encode(JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)), null, 2));
    let pulled = 0;
    async function* counting() {
      for await (const chunk of chunked(pretty, 16)) {
        pulled++;
        yield chunk;
      }
    }
    const { seen, sink } = collector();
    expect(await readDocumentRecords(counting(), "graph.json", sink)).toBe(NOT_LINE_LAYOUT);
    expect(pulled).toBeLessThan(3);
    expect(seen.nodes.length + seen.edges.length).toBe(0);
  });

  it("names damage by code: a broken line, a changed value, a truncated file", async () => {
    const { bytes } = await seedDocument();
    const text = new TextDecoder().decode(bytes);
    const lines = text.split("\n");
    const middle = Math.floor(lines.length / 2);
    const broken = [...lines];
    broken[middle] = broken[middle]!.slice(0, 10);
    const read = (t: string) =>
      readDocumentRecords(chunked(encoder.encode(t)), "graph.json", collector().sink);
    expect(await codeOf(read(broken.join("\n")))).toBe("malformed_json");
    // Still valid JSON, different content: only the checksum can tell.
    const changed = text.replace('"strength":0.9', '"strength":0.8');
    expect(changed).not.toBe(text);
    expect(await codeOf(read(changed))).toBe("checksum_mismatch");
    expect(await codeOf(read(lines.slice(0, middle).join("\n")))).toBe("malformed_json");
  });

  it("lets a sink's own error through unchanged (its failures are not the file's damage)", async () => {
    const { bytes } = await seedDocument();
    const failure = new Error("sink failed");
    const sink = {
      ...collector().sink,
      node: () => {
        throw failure;
      },
    };
    await expect(readDocumentRecords(chunked(bytes), "graph.json", sink)).rejects.toBe(failure);
  });
});
