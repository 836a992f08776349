import { canonicalJson, hasCode, sha256HexSync } from "@dawsos/core";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { checkIfMatch, recordEtag, recordResponse } from "./etag.ts";

const CURRENT = '"abc123"';

/** The error `checkIfMatch` throws, or `null` when the precondition holds. */
function outcome(header: string | undefined, current: string | null = CURRENT): unknown {
  try {
    checkIfMatch(header, current);
    return null;
  } catch (err) {
    return err;
  }
}

describe("checkIfMatch (RFC 9110 If-Match, strong comparison)", () => {
  it("holds without the header, for the current tag, for * and for a list containing the current tag", () => {
    for (const header of [undefined, CURRENT, "*", `"other", ${CURRENT}`, ` ${CURRENT} `]) {
      expect(outcome(header), String(header)).toBeNull();
    }
  });

  it("fails with precondition_failed for another tag, * on a missing resource, and any weak tag", () => {
    const cases: Array<[string, string | null]> = [
      ['"other"', CURRENT],
      ["*", null],
      [`W/${CURRENT}`, CURRENT],
      [`W/"other", W/${CURRENT}`, CURRENT],
      [`w/${CURRENT}`, CURRENT],
    ];
    for (const [header, current] of cases) {
      expect(hasCode(outcome(header, current), "precondition_failed"), header).toBe(true);
    }
  });
});

describe("recordResponse", () => {
  const app = (record: object) => {
    const hono = new Hono();
    hono.get("/r", (c) => recordResponse(c, record, 200));
    return hono;
  };

  it("answers the record as JSON with its ETag, the same on a first and a later read", async () => {
    const record = { data: { b: 2, a: [1, "x", null] }, id: "n1", type: "stock" };
    const server = app(record);
    const first = await server.request("/r");
    const second = await server.request("/r");
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(res.headers.get("etag")).toBe(recordEtag(record));
    }
    expect(await first.json()).toEqual(record);
    expect(await second.json()).toEqual(record);
  });

  it("keeps every member of a record whose keys are out of order or hostile (`__proto__`)", async () => {
    const data = JSON.parse('{"z":1,"__proto__":{"polluted":true},"10":"index-like","a":{"y":1,"x":2}}');
    const record = { type: "t", id: "n2", data };
    const server = app(record);
    for (let read = 0; read < 2; read++) {
      const res = await server.request("/r");
      const body = (await res.json()) as { data: Record<string, unknown> };
      expect(Object.keys(body.data).sort()).toEqual(["10", "__proto__", "a", "z"]);
      expect(Object.getOwnPropertyDescriptor(body.data, "__proto__")?.value).toEqual({ polluted: true });
      expect(res.headers.get("etag")).toBe(`"${sha256HexSync(canonicalJson(record)).slice(0, 32)}"`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
