import { describe, expect, it } from "vitest";
import { DawsosError } from "../errors/errors.ts";
import { loadGraphBytes } from "../store/load-graph.ts";
import { parseJsonDocument, readDocument } from "./read-document.ts";
import { encodeDocument } from "./write-document.ts";

const NOW = "2026-01-01T00:00:00.000Z";
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

/** A small document in the original Python DawsOS format (our own data, same shape). */
const PYTHON_DOC = {
  version: 1,
  nodes: {
    FED_RATE: {
      id: "FED_RATE",
      type: "indicator",
      data: { name: "Fed funds", value: 4.5 },
      created: "2025-10-01T15:43:49.712567",
      modified: "2025-10-01T15:43:50.000001",
      connections_in: [],
      connections_out: ["edge_aa11"],
      metadata: { access_count: 3, last_accessed: null, confidence: 1.0 },
    },
    TLT: {
      id: "TLT",
      type: "index",
      data: {},
      created: "2025-10-01T15:43:49.8",
      modified: "2025-10-01T15:43:49.8",
      connections_in: ["edge_aa11"],
      connections_out: [],
      metadata: {},
    },
  },
  edges: [
    {
      id: "edge_aa11",
      from: "FED_RATE",
      to: "TLT",
      type: "pressures",
      strength: 0.8,
      metadata: { lag: "3m" },
      created: "2025-10-01T15:43:51.1",
      activations: 2,
    },
  ],
  patterns: {
    FED_RATE_to_TLT: { type: "transitive", from: "FED_RATE", to: "TLT", via: "FED_RATE", strength: 0.7 },
  },
  forecasts: { TLT: { direction: "down" } },
  metadata: { last_saved: "2025-10-01T15:43:52", stats: { total_nodes: 2 } },
};

const SEED_DOC = {
  version: 2,
  nodes: { A: { type: "x", data: { v: 1 } }, B: { id: "B", type: "y" } },
  edges: [
    { from: "A", to: "B", type: "rel", strength: 0.5 },
    { from: "A", to: "B", type: "rel", strength: 0.6 },
    { from: "B", to: "A", type: "back" },
  ],
  patterns: {},
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DawsosError) return err.code;
    throw err;
  }
  return undefined;
}

describe("readDocument", () => {
  it("reads the Python format: timestamps mapped, derived fields dropped, everything else kept", async () => {
    const { graph, format } = readDocument(structuredClone(PYTHON_DOC), { now: NOW, file: "graph.json" });
    expect(format).toBe("python");
    const node = graph.getNode("FED_RATE")!;
    expect(node).toMatchObject({
      created_at: "2025-10-01T15:43:49.712567",
      updated_at: "2025-10-01T15:43:50.000001",
      created: "2025-10-01T15:43:49.712567",
      modified: "2025-10-01T15:43:50.000001",
      metadata: { access_count: 3, last_accessed: null, confidence: 1.0 },
    });
    expect(node).not.toHaveProperty("connections_out");
    expect(graph.getEdge("edge_aa11")).toMatchObject({
      created_at: "2025-10-01T15:43:51.1",
      activations: 2,
      metadata: { lag: "3m" },
    });
    expect(graph.getPattern("FED_RATE_to_TLT")).toMatchObject({ via: "FED_RATE", strength: 0.7 });
    expect(graph.extras.forecasts).toEqual({ TLT: { direction: "down" } });
    expect(graph.metadata.last_saved).toBe("2025-10-01T15:43:52");
    expect(graph.stats()).toMatchObject({ total_nodes: 2, total_edges: 1, total_patterns: 1 });
    // Round trip through our format keeps every field.
    const { bytes } = await encodeDocument(graph);
    const back = loadGraphBytes(bytes, "graph.json", { now: "later" });
    expect(back.format).toBe("dawsos");
    expect(back.graph.getNode("FED_RATE")).toEqual(node);
    expect(back.graph.extras.forecasts).toEqual({ TLT: { direction: "down" } });
  });

  it("reads the seed format with deterministic edge ids and filled timestamps", () => {
    const { graph, format } = readDocument(structuredClone(SEED_DOC), { now: NOW });
    expect(format).toBe("seed");
    expect([...graph.edges()].map((e) => e.id)).toEqual(["e_A_B_rel", "e_A_B_rel_2", "e_B_A_back"]);
    expect(graph.getEdge("e_B_A_back")!.strength).toBe(1);
    expect(graph.getNode("A")).toMatchObject({ created_at: NOW, updated_at: NOW });
    expect(graph.getNode("B")!.data).toEqual({});
  });

  it("keeps __proto__, constructor and prototype as ordinary ids and keys", async () => {
    const text = `{"version":2,"nodes":{"__proto__":{"type":"t","data":{"__proto__":{"x":1}}},"constructor":{"type":"t"},"prototype":{"type":"__proto__"}},"edges":[{"from":"__proto__","to":"constructor","type":"prototype"}],"patterns":{"__proto__":{"type":"X"}}}`;
    const { graph } = readDocument(JSON.parse(text), { now: NOW });
    expect(graph.nodeCount).toBe(3);
    expect(Object.keys(graph.getNode("__proto__")!.data)).toEqual(["__proto__"]);
    expect(graph.nodesByType("__proto__").map((n) => n.id)).toEqual(["prototype"]);
    expect(graph.getPattern("__proto__")).toEqual({ type: "X" });
    const { bytes } = await encodeDocument(graph);
    const back = loadGraphBytes(bytes, "graph.json", { now: NOW });
    expect(Object.keys(back.graph.getNode("__proto__")!.data)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  describe("bad input: a typed error naming the file and field", () => {
    const load = (bytes: Uint8Array) => () =>
      loadGraphBytes(bytes, "graph.json", { now: NOW, allowUnchecksummed: true });

    it("empty, NUL-filled and whitespace-only files", () => {
      expect(codeOf(load(new Uint8Array(0)))).toBe("empty_file");
      expect(codeOf(load(new Uint8Array(1024)))).toBe("empty_file");
      expect(codeOf(load(enc("  \n\t ")))).toBe("empty_file");
    });

    it("malformed JSON and invalid UTF-8", () => {
      expect(codeOf(load(enc('{"version":2,')))).toBe("malformed_json");
      expect(codeOf(load(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toBe("malformed_json");
      expect(() => parseJsonDocument(enc("[1,"), "x.json")).toThrow(
        expect.objectContaining({ file: "x.json" }),
      );
    });

    it("a bad checksum, and a version-2 document without one", async () => {
      const { graph } = readDocument(structuredClone(SEED_DOC), { now: NOW });
      const doc = JSON.parse(new TextDecoder().decode((await encodeDocument(graph)).bytes));
      doc.nodes.A.data.v = 2;
      expect(codeOf(load(enc(doc)))).toBe("checksum_mismatch");
      delete doc.checksum;
      doc.seq = 0;
      expect(codeOf(load(enc(doc)))).toBe("checksum_mismatch");
    });

    it("a pretty-printed copy of a valid document still verifies", async () => {
      const { graph } = readDocument(structuredClone(SEED_DOC), { now: NOW });
      const doc = JSON.parse(new TextDecoder().decode((await encodeDocument(graph)).bytes));
      expect(
        loadGraphBytes(enc(JSON.stringify(doc, null, 2)), "graph.json", { now: NOW }).graph.nodeCount,
      ).toBe(2);
    });

    const invalid: Array<[string, unknown, string]> = [
      ["wrong top-level shape", [1, 2], "(document)"],
      ["nodes not an object", { version: 1, nodes: [] }, "(document)"],
      ["node without type", { version: 1, nodes: { A: { data: {} } } }, "nodes.A"],
      ["node id differs from key", { version: 1, nodes: { A: { id: "B", type: "t" } } }, "nodes.A"],
      [
        "over-long node id",
        { version: 1, nodes: { ["N".repeat(257)]: { type: "t" } } },
        `nodes.${"N".repeat(257)}`,
      ],
      [
        "unknown edge endpoint",
        { version: 1, nodes: { A: { type: "t" } }, edges: [{ from: "A", to: "Z", type: "r" }] },
        "edges[0]",
      ],
      [
        "strength above 1",
        {
          version: 1,
          nodes: { A: { type: "t" } },
          edges: [{ from: "A", to: "A", type: "r", strength: 1.5 }],
        },
        "edges[0]",
      ],
      [
        "negative strength",
        {
          version: 1,
          nodes: { A: { type: "t" } },
          edges: [{ from: "A", to: "A", type: "r", strength: -0.1 }],
        },
        "edges[0]",
      ],
      [
        "duplicate edge id",
        {
          version: 1,
          nodes: { A: { type: "t" } },
          edges: [
            { id: "e", from: "A", to: "A", type: "r" },
            { id: "e", from: "A", to: "A", type: "r" },
          ],
        },
        "edges[1]",
      ],
      [
        "confidence out of range",
        { version: 1, nodes: {}, patterns: { p: { confidence: 2 } } },
        "patterns.p",
      ],
    ];
    for (const [name, doc, field] of invalid) {
      it(name, () => {
        let err: unknown;
        try {
          loadGraphBytes(enc(doc), "graph.json", { now: NOW, allowUnchecksummed: true });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DawsosError);
        expect(err).toMatchObject({ code: "invalid_document", file: "graph.json" });
        expect((err as Error).message).toContain(field);
        // The same document as API input is a plain validation error naming the field.
        expect(() => readDocument(doc, { now: NOW })).toThrow(
          expect.objectContaining({ code: "validation_error" }),
        );
      });
    }
  });
});
