import { describe, expect, it } from "vitest";
import { assertJsonValue, MAX_NESTING_DEPTH } from "./json-value.ts";

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
  return value;
};

const fails = (value: unknown) => {
  try {
    assertJsonValue(value, "data");
  } catch (err) {
    return err as { code: string; details: { path: string }; message: string };
  }
  return null;
};

describe("assertJsonValue", () => {
  it("accepts plain JSON up to MAX_NESTING_DEPTH containers, refuses one more", () => {
    expect(MAX_NESTING_DEPTH).toBe(64);
    expect(fails(nested(64))).toBeNull();
    expect(fails({})).toBeNull();
    expect(fails(nested(65))).toMatchObject({ code: "validation_error" });
    expect(fails(nested(65))!.message).toMatch(/deeper than 64/);
  });

  it("is iterative: 200,000 levels are refused without overflowing the stack", () => {
    expect(fails(nested(200_000))).toMatchObject({ code: "validation_error" });
  });

  it("refuses non-finite numbers and non-JSON values, naming the path", () => {
    expect(fails({ a: [1, { b: Number.POSITIVE_INFINITY }] })!.details.path).toBe("data.a[1].b");
    expect(fails({ "odd key": Number.NaN })!.details.path).toBe('data["odd key"]');
    expect(fails(-Number.MAX_VALUE * 2)!.details.path).toBe("data");
    expect(fails({ u: undefined })!.details.path).toBe("data.u");
    expect(fails({ f: () => 1 })).not.toBeNull();
    expect(fails({ b: 10n })).not.toBeNull();
    expect(fails({ d: new Date(0) })).not.toBeNull();
    expect(fails({ m: new Map() })).not.toBeNull();
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is being refused
    expect(fails([1, , 3])!.details.path).toBe("data[1]");
  });

  it("accepts what JSON round-trips: extremes, -0, lone surrogates, NUL, __proto__ as an own key", () => {
    expect(fails([Number.MAX_VALUE, 5e-324, -0, "\ud800", "\u0000", ""])).toBeNull();
    expect(fails(JSON.parse('{"__proto__":{"constructor":{"prototype":1}}}'))).toBeNull();
    expect(fails(Object.create(null))).toBeNull();
  });
});
