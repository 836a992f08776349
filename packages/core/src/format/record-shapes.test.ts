import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAnyDocument, isAnyEdge, isAnyNode } from "./record-shapes.ts";
import { anyDocumentSchema, anyEdgeSchema, anyNodeSchema } from "./schemas.ts";

// Values a field may hold in parsed JSON, biased towards the boundaries the schemas draw.
const fieldValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, 1, 0.5, -1, 1.0000001, 2, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53)),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.constantFrom("", "x".repeat(256), "x".repeat(257)),
  fc.constant([]),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

function record(fields: readonly string[]) {
  return fc
    .record(Object.fromEntries(fields.map((f) => [f, fieldValue])), { requiredKeys: [] })
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

const accepts = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe("the hand-written record checks agree with their zod schemas", () => {
  it("nodes", () => {
    const fields = ["id", "type", "data", "created_at", "updated_at", "created", "modified", "extra"];
    fc.assert(
      fc.property(record(fields), (node) => {
        expect(isAnyNode(node)).toBe(accepts(anyNodeSchema, node));
      }),
      { numRuns: 3000 },
    );
  });

  it("edges", () => {
    const fields = ["id", "from", "to", "type", "strength", "created_at", "created", "metadata"];
    fc.assert(
      fc.property(record(fields), (edge) => {
        expect(isAnyEdge(edge)).toBe(accepts(anyEdgeSchema, edge));
      }),
      { numRuns: 3000 },
    );
  });

  it("document envelopes", () => {
    const fields = ["version", "seq", "nodes", "edges", "patterns", "metadata", "checksum", "extra"];
    fc.assert(
      fc.property(record(fields), (doc) => {
        expect(isAnyDocument(doc)).toBe(accepts(anyDocumentSchema, doc));
      }),
      { numRuns: 3000 },
    );
  });

  it("valid records of each kind pass", () => {
    expect(isAnyNode({ id: "a", type: "stock", data: {}, created_at: "t", updated_at: "t" })).toBe(true);
    expect(isAnyNode({ type: "stock" })).toBe(true);
    expect(isAnyEdge({ from: "a", to: "b", type: "x", strength: 1 })).toBe(true);
    expect(isAnyDocument({ nodes: {}, edges: [], seq: 3, version: 2 })).toBe(true);
    expect(isAnyNode([])).toBe(false);
    expect(isAnyDocument({ nodes: [] })).toBe(false);
  });
});
