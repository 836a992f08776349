import { describe, expect, it } from "vitest";
import { jsonChunks } from "./json-chunks.ts";

describe("jsonChunks", () => {
  it("produces valid JSON equal to the value, one entry per line at the top levels", () => {
    const value = {
      version: 2,
      nodes: { A: { type: "t", data: { x: [1, 2] } }, B: { type: "u" } },
      edges: [{ a: 1 }, { b: null }],
      skip: undefined,
      e: {},
      f: [],
    };
    const text = [...jsonChunks(value)].join("");
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(text.split("\n").length).toBeGreaterThan(6);
    expect([...jsonChunks("x")].join("")).toBe('"x"');
    expect([...jsonChunks([undefined])].join("")).toBe("[\nnull\n]");
  });
});
