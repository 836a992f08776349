import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicallyOrdered, canonicalRecord } from "./canonical-json.ts";

// JSON values whose object keys are drawn to include index-like ("7", "10"), `__proto__`,
// and out-of-order names, the cases that decide whether a copy can be in canonical shape.
const key = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constantFrom("__proto__", "7", "10", "a", "B", "é", "\u{1F600}"),
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 5 }),
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(key, tie("json"), { maxKeys: 5 }),
  ),
}));

/** Round-trips through JSON.parse, so `__proto__` keys are own data properties, as loaded. */
const parsed = json.map((value) => JSON.parse(JSON.stringify(value)) as unknown);

function hasIndexLikeKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasIndexLikeKey);
  return Object.keys(value).some(
    (k) => /^[0-9]/.test(k) || hasIndexLikeKey((value as Record<string, unknown>)[k]),
  );
}

describe("canonicallyOrdered", () => {
  it("keeps the canonical form, and makes native JSON.stringify canonical when keys allow", () => {
    fc.assert(
      fc.property(parsed, (value) => {
        const ordered = canonicallyOrdered(value);
        expect(canonicalJson(ordered)).toBe(canonicalJson(value));
        if (!hasIndexLikeKey(value)) expect(JSON.stringify(ordered)).toBe(canonicalJson(value));
      }),
      { numRuns: 2000 },
    );
  });

  it("returns a value already in order itself, and shares ordered subtrees of a copy", () => {
    const inner = { a: 1, b: [1, { c: 2 }] };
    expect(canonicallyOrdered(inner)).toBe(inner);
    const outer = { z: 1, a: inner };
    const copy = canonicallyOrdered(outer);
    expect(copy).not.toBe(outer);
    expect(Object.keys(copy)).toEqual(["a", "z"]);
    expect(copy.a).toBe(inner);
  });

  it("keeps an own __proto__ key as data, never as the copy's prototype", () => {
    const value = JSON.parse('{"z":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const copy = canonicallyOrdered(value);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(["__proto__", "z"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"z":1}');
  });

  it("leaves a value nested past the depth bound to validation instead of overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { b: deep, a: 0 };
    expect(() => canonicallyOrdered(deep)).not.toThrow();
  });
});

describe("canonicalRecord", () => {
  it("merges source and overrides in canonical order, skipping what it is told to", () => {
    const source = JSON.parse(
      '{"type":"stock","id":"x","connections_in":3,"__proto__":1,"data":{"b":1,"a":2}}',
    );
    const record = canonicalRecord(source, { id: "AAPL", created_at: "t" }, ["connections_in"]);
    expect(JSON.stringify(record)).toBe(
      '{"__proto__":1,"created_at":"t","data":{"a":2,"b":1},"id":"AAPL","type":"stock"}',
    );
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  });
});
