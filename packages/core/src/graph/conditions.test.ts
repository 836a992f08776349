import { describe, expect, it } from "vitest";
import {
  type ConditionOp,
  evaluateCondition,
  evaluatePattern,
  parseCondition,
  patternNodeIds,
  resolvePath,
} from "./conditions.ts";
import type { GraphNode, JsonObject } from "./types.ts";

const AT = "2024-12-20T10:00:00.000Z";

function node(id: string, data: JsonObject, extra: JsonObject = {}): GraphNode {
  return { id, type: "indicator", data, created_at: AT, updated_at: AT, ...extra };
}

function lookup(...nodes: GraphNode[]): (id: string) => GraphNode | undefined {
  const map = new Map(nodes.map((n) => [n.id, n]));
  return (id) => map.get(id);
}

const CPI = node("CPI", { value: 4.2, yoy: "3.5", pe: 21, nested: { deep: { x: -2 } }, label: "high" });
const GDP = node("GDP", { value: 3 });
const get = lookup(CPI, GDP);

describe("parseCondition", () => {
  it("parses every operator", () => {
    const ops: ConditionOp[] = [">", ">=", "<", "<=", "==", "!="];
    for (const op of ops) {
      expect(parseCondition(`CPI ${op} 4`), op).toEqual({
        nodeId: "CPI",
        path: ["data", "value"],
        op,
        threshold: 4,
      });
    }
  });

  it("accepts no spaces and extra spaces around the operator", () => {
    expect(parseCondition("CPI>=4")).toMatchObject({ nodeId: "CPI", op: ">=", threshold: 4 });
    expect(parseCondition("  CPI   <=   4  ")).toMatchObject({ nodeId: "CPI", op: "<=", threshold: 4 });
    expect(parseCondition("CPI!=4%")).toMatchObject({ op: "!=", threshold: 4 });
  });

  it("reads the default path data.value", () => {
    expect(parseCondition("GDP > 3")?.path).toEqual(["data", "value"]);
  });

  it("reads an explicit data path and a shorthand path", () => {
    expect(parseCondition("AAPL.data.pe > 30")).toEqual({
      nodeId: "AAPL",
      path: ["data", "pe"],
      op: ">",
      threshold: 30,
    });
    expect(parseCondition("AAPL.pe > 30")?.path).toEqual(["pe"]);
    expect(parseCondition("X.a.b.c == 1")?.path).toEqual(["a", "b", "c"]);
  });

  it("treats % only as a unit", () => {
    expect(parseCondition("CPI > 4%")?.threshold).toBe(4);
    expect(parseCondition("CPI > 4 %")?.threshold).toBe(4);
    expect(parseCondition("CPI > 0.5%")?.threshold).toBe(0.5);
  });

  it("parses negative, signed, decimal and exponent numbers", () => {
    expect(parseCondition("X < -1.5")?.threshold).toBe(-1.5);
    expect(parseCondition("X > +2")?.threshold).toBe(2);
    expect(parseCondition("X > .25")?.threshold).toBe(0.25);
    expect(parseCondition("X > 3.")?.threshold).toBe(3);
    expect(parseCondition("X > 1e3")?.threshold).toBe(1000);
    expect(parseCondition("X > -2.5E-1%")?.threshold).toBe(-0.25);
    expect(parseCondition("X == 0")?.threshold).toBe(0);
  });

  it("accepts ids with underscores, digits, dashes and non-ASCII letters", () => {
    expect(parseCondition("ECONOMIC_REGIME.data.score >= 2")?.nodeId).toBe("ECONOMIC_REGIME");
    expect(parseCondition("SP-500 > 1")?.nodeId).toBe("SP-500");
    expect(parseCondition("10Y_YIELD > 4")?.nodeId).toBe("10Y_YIELD");
    expect(parseCondition("Zürich > 4")?.nodeId).toBe("Zürich");
  });

  it("returns null for malformed expressions", () => {
    const bad = [
      "",
      "   ",
      "CPI",
      "CPI >",
      "> 4",
      "CPI 4",
      "CPI >> 4",
      "CPI => 4",
      "CPI = 4",
      "CPI === 4",
      "CPI <> 4",
      "CPI > four",
      "CPI > 4%%",
      "CPI > 4 5",
      "CPI > %4",
      "CPI > 4x",
      "CPI > 0x10",
      "CPI > 1e",
      "CPI > -",
      "CPI > .",
      "CPI. > 4",
      ".CPI > 4",
      "CPI..value > 4",
      "CPI.data. > 4",
      "C PI > 4",
      "CPI > 4 AND GDP > 3",
    ];
    for (const expr of bad) expect(parseCondition(expr), JSON.stringify(expr)).toBeNull();
  });
});

describe("resolvePath", () => {
  it("reads a path from the node itself first", () => {
    expect(resolvePath(CPI, ["data", "pe"])).toBe(21);
    expect(resolvePath(CPI, ["data", "nested", "deep", "x"])).toBe(-2);
    expect(resolvePath(node("N", {}, { score: 7 }), ["score"])).toBe(7);
  });

  it("falls back to data for shorthand paths", () => {
    expect(resolvePath(CPI, ["pe"])).toBe(21);
    expect(resolvePath(CPI, ["nested", "deep", "x"])).toBe(-2);
  });

  it("gives undefined for missing or non-object steps", () => {
    expect(resolvePath(CPI, ["data", "missing"])).toBeUndefined();
    expect(resolvePath(CPI, ["missing"])).toBeUndefined();
    expect(resolvePath(CPI, ["data", "pe", "x"])).toBeUndefined();
    expect(resolvePath(CPI, ["label", "length"])).toBeUndefined();
  });

  it("does not read inherited properties", () => {
    expect(resolvePath(CPI, ["data", "constructor"])).toBeUndefined();
    expect(resolvePath(CPI, ["toString"])).toBeUndefined();
    expect(resolvePath(CPI, ["__proto__"])).toBeUndefined();
    expect(resolvePath(CPI, ["data", "hasOwnProperty"])).toBeUndefined();
  });

  it("reads own __proto__ and constructor keys as data", () => {
    const n = node("P", JSON.parse('{"__proto__":{"v":5},"constructor":6}'));
    expect(resolvePath(n, ["data", "__proto__", "v"])).toBe(5);
    expect(resolvePath(n, ["constructor"])).toBe(6);
  });
});

describe("evaluateCondition", () => {
  it("evaluates every operator on both sides of the threshold", () => {
    const n = lookup(node("X", { value: 5 }));
    const table: Array<[string, boolean]> = [
      ["X > 4", true],
      ["X > 5", false],
      ["X >= 5", true],
      ["X >= 5.0001", false],
      ["X < 6", true],
      ["X < 5", false],
      ["X <= 5", true],
      ["X <= 4.999", false],
      ["X == 5", true],
      ["X == 5.5", false],
      ["X != 4", true],
      ["X != 5", false],
    ];
    for (const [expr, expected] of table) {
      expect(evaluateCondition(expr, n), expr).toEqual({ expr, value: 5, result: expected });
    }
  });

  it("uses data.value by default and percent as a unit", () => {
    expect(evaluateCondition("CPI > 4%", get)).toEqual({ expr: "CPI > 4%", value: 4.2, result: true });
    expect(evaluateCondition("GDP > 3%", get).result).toBe(false);
    expect(evaluateCondition("GDP >= 3%", get).result).toBe(true);
  });

  it("reads explicit and shorthand data paths", () => {
    expect(evaluateCondition("CPI.data.pe > 20", get)).toMatchObject({ value: 21, result: true });
    expect(evaluateCondition("CPI.pe < 20", get)).toMatchObject({ value: 21, result: false });
    expect(evaluateCondition("CPI.nested.deep.x == -2", get)).toMatchObject({ value: -2, result: true });
    expect(evaluateCondition("CPI.data.nested.deep.x < -1.5", get)).toMatchObject({ result: true });
  });

  it("compares negative and decimal values", () => {
    const n = lookup(node("Y", { value: -0.75 }));
    expect(evaluateCondition("Y < -0.5", n).result).toBe(true);
    expect(evaluateCondition("Y > -1", n).result).toBe(true);
    expect(evaluateCondition("Y == -0.75", n).result).toBe(true);
    expect(evaluateCondition("Y >= 0", n).result).toBe(false);
  });

  it("accepts numeric strings as values, with or without a percent sign", () => {
    expect(evaluateCondition("CPI.yoy > 3", get)).toMatchObject({ value: 3.5, result: true });
    const n = lookup(node("S", { value: " 4.5% " }), node("T", { value: "-2" }));
    expect(evaluateCondition("S > 4", n)).toMatchObject({ value: 4.5, result: true });
    expect(evaluateCondition("T < 0", n)).toMatchObject({ value: -2, result: true });
  });

  it("gives null for a missing node, a missing value or a non-numeric value", () => {
    const n = lookup(
      node("STR", { value: "high" }),
      node("EMPTY", { value: "" }),
      node("BOOL", { value: true }),
      node("NUL", { value: null }),
      node("OBJ", { value: { v: 1 } }),
      node("ARR", { value: [5] }),
      node("NONE", {}),
    );
    for (const expr of [
      "MISSING > 1",
      "NONE > 1",
      "NONE.data.pe > 1",
      "STR > 1",
      "EMPTY == 0",
      "BOOL == 1",
      "NUL == 0",
      "OBJ > 0",
      "ARR == 5",
    ]) {
      expect(evaluateCondition(expr, n), expr).toEqual({ expr, value: null, result: null });
    }
    expect(evaluateCondition("CPI.label > 1", get)).toMatchObject({ value: null, result: null });
  });

  it("gives null for malformed expressions without looking up a node", () => {
    let lookups = 0;
    const counting = (id: string) => {
      lookups++;
      return get(id);
    };
    expect(evaluateCondition("CPI >> 4", counting)).toEqual({ expr: "CPI >> 4", value: null, result: null });
    expect(lookups).toBe(0);
  });
});

describe("evaluatePattern", () => {
  it("is triggered when every condition holds", () => {
    const ev = evaluatePattern(
      "p1",
      { type: "REGIME_SHIFT", trigger_conditions: ["CPI > 4%", "GDP >= 3%"] },
      get,
    );
    expect(ev).toEqual({
      id: "p1",
      type: "REGIME_SHIFT",
      triggered: true,
      conditions: [
        { expr: "CPI > 4%", value: 4.2, result: true },
        { expr: "GDP >= 3%", value: 3, result: true },
      ],
    });
  });

  it("is not triggered when one condition is false", () => {
    const ev = evaluatePattern("p", { trigger_conditions: ["CPI > 4%", "GDP > 3%"] }, get);
    expect(ev.triggered).toBe(false);
    expect(ev.conditions.map((c) => c.result)).toEqual([true, false]);
    expect(ev.type).toBeNull();
  });

  it("is not triggered when a condition is null (missing node, missing value, bad grammar)", () => {
    for (const extra of ["NOPE > 1", "GDP.data.missing > 1", "GDP >> 1"]) {
      const ev = evaluatePattern("p", { trigger_conditions: ["CPI > 4", extra] }, get);
      expect(ev.triggered, extra).toBe(false);
      expect(ev.conditions[1]!.result, extra).toBeNull();
    }
  });

  it("is not triggered with zero conditions", () => {
    expect(evaluatePattern("p", { type: "T", trigger_conditions: [] }, get)).toEqual({
      id: "p",
      type: "T",
      triggered: false,
      conditions: [],
    });
    expect(evaluatePattern("p", { type: "T" }, get).triggered).toBe(false);
  });
});

describe("patternNodeIds", () => {
  it("collects ids from conditions, nodes, from, to and via", () => {
    const ids = patternNodeIds({
      trigger_conditions: ["CPI > 4%", "GDP.data.yoy > 3", "bad >>", "CPI < 10"],
      nodes: ["AAPL", "MSFT"],
      from: "FED",
      to: "BONDS",
      via: "RATES",
    });
    expect([...ids].sort()).toEqual(["AAPL", "BONDS", "CPI", "FED", "GDP", "MSFT", "RATES"]);
  });

  it("is empty for a pattern that names nothing", () => {
    expect(patternNodeIds({ type: "T", description: "d" }).size).toBe(0);
  });
});
