import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, writeCanonical } from "./canonical-json.ts";
import { createSha256, sha256Hex, sha256HexSync, toHex } from "./sha256.ts";

/** The IEEE 754 double with the given bit pattern (RFC 8785 lists its number examples that way). */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("canonicalJson (RFC 8785)", () => {
  describe("literals", () => {
    it("writes null, true and false", () => {
      expect(canonicalJson(null)).toBe("null");
      expect(canonicalJson(true)).toBe("true");
      expect(canonicalJson(false)).toBe("false");
      expect(canonicalJson([null, true, false])).toBe("[null,true,false]");
    });
  });

  describe("object keys", () => {
    it("sorts the RFC 8785 section 3.2.3 example by UTF-16 code units", () => {
      const input = JSON.parse(
        '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
          '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",' +
          '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
      );
      const out = canonicalJson(input);
      // (Object.keys would list the integer-like key "1" first, so check positions in the text.)
      const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"].map((k) =>
        out.indexOf(`${JSON.stringify(k)}:`),
      );
      expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
      expect(out).toBe(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it("orders a supplementary-plane key before U+FB33 (code units, not code points)", () => {
      // By code point U+1F600 > U+FB33; by UTF-16 code unit 0xD83D < 0xFB33.
      expect(canonicalJson({ "\ufb33": 1, "\ud83d\ude00": 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
    });

    it("does not sort numeric-looking keys numerically, and keeps case order", () => {
      expect(canonicalJson({ "10": 1, "9": 2, "1": 3, b: 4, B: 5, a: 6, "": 7 })).toBe(
        '{"":7,"1":3,"10":1,"9":2,"B":5,"a":6,"b":4}',
      );
    });

    it("sorts keys at every nesting level and leaves array order alone", () => {
      const value = { z: [{ b: 1, a: 2 }, 3, [{ d: 4, c: 5 }]], a: { y: { q: 1, p: 2 }, x: [] } };
      expect(canonicalJson(value)).toBe(
        '{"a":{"x":[],"y":{"p":2,"q":1}},"z":[{"a":2,"b":1},3,[{"c":5,"d":4}]]}',
      );
    });

    it("writes empty containers", () => {
      expect(canonicalJson({})).toBe("{}");
      expect(canonicalJson([])).toBe("[]");
      expect(canonicalJson({ a: {}, b: [[]] })).toBe('{"a":{},"b":[[]]}');
    });

    it("skips undefined, function and symbol members without leaving stray commas", () => {
      const value = { a: undefined, b: 1, c: () => 1, d: Symbol("x"), e: 2, f: undefined };
      expect(canonicalJson(value)).toBe('{"b":1,"e":2}');
      expect(canonicalJson({ only: undefined })).toBe("{}");
    });

    it("writes undefined and functions inside arrays as null, like JSON.stringify", () => {
      // biome-ignore lint/suspicious/noSparseArray: a hole is part of what is tested
      const value = [undefined, () => 1, 1, , 2];
      expect(canonicalJson(value)).toBe("[null,null,1,null,2]");
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    });

    it("serialises prototype-less objects", () => {
      const obj = Object.create(null) as Record<string, unknown>;
      obj.b = 1;
      obj.a = Object.create(null);
      (obj.a as Record<string, unknown>).c = "x";
      expect(canonicalJson(obj)).toBe('{"a":{"c":"x"},"b":1}');
    });

    it("serialises an own __proto__ key (from JSON.parse) as plain data", () => {
      const parsed = JSON.parse('{"b":2,"__proto__":{"polluted":true},"a":1}');
      expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
      expect(canonicalJson(parsed)).toBe('{"__proto__":{"polluted":true},"a":1,"b":2}');
      expect(canonicalJson(parsed)).toBe(canonicalize(parsed));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it("serialises an own __proto__ key on a prototype-less object", () => {
      const obj = Object.create(null) as Record<string, unknown>;
      const protoKey = "__proto__";
      obj[protoKey] = { x: 1 }; // on a prototype-less object this is a plain data property
      const constructorKey: string = "constructor";
      obj[constructorKey] = "c";
      expect(Object.keys(obj).sort()).toEqual(["__proto__", "constructor"]);
      expect(canonicalJson(obj)).toBe('{"__proto__":{"x":1},"constructor":"c"}');
    });
  });

  describe("numbers", () => {
    it("writes the RFC 8785 number examples (appendix B) by bit pattern", () => {
      const examples: Array<[string, string]> = [
        ["0000000000000000", "0"],
        ["8000000000000000", "0"],
        ["0000000000000001", "5e-324"],
        ["8000000000000001", "-5e-324"],
        ["7fefffffffffffff", "1.7976931348623157e+308"],
        ["ffefffffffffffff", "-1.7976931348623157e+308"],
        ["4340000000000000", "9007199254740992"],
        ["c340000000000000", "-9007199254740992"],
        ["4430000000000000", "295147905179352830000"],
        ["44b52d02c7e14af5", "9.999999999999997e+22"],
        ["44b52d02c7e14af6", "1e+23"],
        ["44b52d02c7e14af7", "1.0000000000000001e+23"],
        ["444b1ae4d6e2ef4e", "999999999999999700000"],
        ["444b1ae4d6e2ef4f", "999999999999999900000"],
        ["444b1ae4d6e2ef50", "1e+21"],
        ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
        ["3eb0c6f7a0b5ed8d", "0.000001"],
        ["41b3de4355555553", "333333333.3333332"],
        ["41b3de4355555554", "333333333.33333325"],
        ["41b3de4355555555", "333333333.3333333"],
        ["41b3de4355555556", "333333333.3333334"],
        ["41b3de4355555557", "333333333.33333343"],
        ["becbf647612f3696", "-0.0000033333333333333333"],
        ["43143ff3c1cb0959", "1424953923781206.2"],
      ];
      for (const [bits, expected] of examples) {
        expect(canonicalJson(fromBits(bits)), bits).toBe(expected);
      }
    });

    it("switches to exponent notation at 1e21 and below 1e-6", () => {
      expect(canonicalJson(1e21)).toBe("1e+21");
      expect(canonicalJson(1e20)).toBe("100000000000000000000");
      expect(canonicalJson(-1e21)).toBe("-1e+21");
      expect(canonicalJson(1e-7)).toBe("1e-7");
      expect(canonicalJson(1e-6)).toBe("0.000001");
      expect(canonicalJson(1.5e-7)).toBe("1.5e-7");
      expect(canonicalJson(1e30)).toBe("1e+30");
      expect(canonicalJson(2e-3)).toBe("0.002");
    });

    it("writes negative zero as 0, also nested", () => {
      expect(canonicalJson(-0)).toBe("0");
      expect(canonicalJson({ a: -0, b: [-0] })).toBe('{"a":0,"b":[0]}');
    });

    it("writes the shortest round-tripping form", () => {
      expect(canonicalJson(0.1 + 0.2)).toBe("0.30000000000000004");
      expect(canonicalJson(4.5)).toBe("4.5");
      expect(canonicalJson(4.5)).not.toBe("4.50");
      expect(canonicalJson(Number("333333333.33333329"))).toBe("333333333.3333333");
      expect(canonicalJson(1 / 3)).toBe("0.3333333333333333");
      expect(canonicalJson(100)).toBe("100");
      expect(canonicalJson(-1.25)).toBe("-1.25");
    });

    it("writes large integers without exponent up to 1e21", () => {
      expect(canonicalJson(Number.MAX_SAFE_INTEGER)).toBe("9007199254740991");
      expect(canonicalJson(-Number.MAX_SAFE_INTEGER)).toBe("-9007199254740991");
      expect(canonicalJson(2 ** 64)).toBe("18446744073709552000");
      expect(canonicalJson(123456789012345680000)).toBe("123456789012345680000");
    });

    it("throws on non-finite numbers anywhere in the value", () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        expect(() => canonicalJson(bad)).toThrow(TypeError);
        expect(() => canonicalJson([1, bad])).toThrow(TypeError);
        expect(() => canonicalJson({ a: { b: bad } })).toThrow(TypeError);
      }
    });

    it("throws on values JSON cannot represent at the top level", () => {
      expect(() => canonicalJson(undefined)).toThrow(TypeError);
      expect(() => canonicalJson(10n)).toThrow(TypeError);
      expect(() => canonicalJson({ a: 10n })).toThrow(TypeError);
      expect(() => canonicalJson(() => 1)).toThrow(TypeError);
    });
  });

  describe("strings", () => {
    it("writes the RFC 8785 section 3.2.4 example", () => {
      const input = JSON.parse(
        '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
          String.raw`"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
      );
      expect(canonicalJson(input)).toBe(
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
          String.raw`"string":"€$\u000f\nA'B\"\\\\\"/"}`,
      );
    });

    it("escapes control characters with short forms where JSON has them, else lowercase \\u00xx", () => {
      expect(canonicalJson("\b\t\n\f\r")).toBe(String.raw`"\b\t\n\f\r"`);
      expect(canonicalJson("\u0000\u0001\u000b\u000e\u001f")).toBe(
        String.raw`"\u0000\u0001\u000b\u000e\u001f"`,
      );
      expect(canonicalJson('"\\')).toBe(String.raw`"\"\\"`);
      for (let c = 0; c < 0x20; c++) {
        const out = canonicalJson(String.fromCharCode(c));
        expect(out).not.toContain(String.fromCharCode(c));
        expect(out).toBe(out.toLowerCase());
        expect(JSON.parse(out)).toBe(String.fromCharCode(c));
      }
    });

    it("writes DEL, U+2028, U+2029, non-ASCII and emoji as themselves", () => {
      expect(canonicalJson("\u007f")).toBe('"\u007f"');
      expect(canonicalJson("a\u2028b\u2029c")).toBe('"a\u2028b\u2029c"');
      expect(canonicalJson("é€😀")).toBe('"é€😀"');
      expect(canonicalJson("/")).toBe('"/"');
      expect(canonicalJson("<script>")).toBe('"<script>"');
    });

    it("escapes keys like values", () => {
      expect(canonicalJson({ "a\nb": 1, 'q"': 2 })).toBe(String.raw`{"a\nb":1,"q\"":2}`);
    });
  });

  describe("writeCanonical", () => {
    it("appends to an existing buffer and matches canonicalJson", () => {
      const out = ["prefix:"];
      writeCanonical({ b: [1, "x"], a: null }, out);
      expect(out.join("")).toBe(`prefix:${canonicalJson({ b: [1, "x"], a: null })}`);
    });
  });

  describe("the native fast path (subtrees already in canonical shape)", () => {
    /** A copy with every object's keys inserted in sorted order (JSON.parse of canonical text). */
    const sortedCopy = (value: unknown): unknown => JSON.parse(canonicalize(value) as string);

    it("agrees with the canonicalize package when keys are already sorted, and when only parts are", () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
          const sorted = sortedCopy(a);
          expect(canonicalJson(sorted)).toBe(canonicalize(sorted));
          // A sorted subtree under an unsorted parent, and the reverse.
          const mixed = { z: sorted, a: b, m: [sorted, b] };
          expect(canonicalJson(mixed)).toBe(canonicalize(mixed));
          expect(canonicalJson(sortedCopy(mixed))).toBe(canonicalize(mixed));
        }),
        { numRuns: 300 },
      );
    });

    it("does not take integer-like keys' enumeration order for sorted order", () => {
      // Object.keys lists "2" before "10"; code-unit order puts "10" first.
      expect(canonicalJson({ 2: "b", 10: "a" })).toBe('{"10":"a","2":"b"}');
      expect(canonicalJson(JSON.parse('{"10":1,"2":{"b":1,"a":2}}'))).toBe('{"10":1,"2":{"a":2,"b":1}}');
    });

    it("treats holes, undefined, functions and null-prototype objects as the slow path does", () => {
      const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [2] });
      expect(canonicalJson(nullProto)).toBe('{"a":1,"b":[2]}');
      // biome-ignore lint/suspicious/noSparseArray: a hole is the point
      expect(canonicalJson([1, , undefined, () => 1])).toBe("[1,null,null,null]");
      expect(canonicalJson({ a: undefined, b: 1, c: () => 1 })).toBe('{"b":1}');
      // A toJSON method is a function member: skipped, never called (JSON.stringify would call it).
      expect(canonicalJson({ a: { toJSON: () => "x" } })).toBe('{"a":{}}');
      expect(() => canonicalJson({ a: [1, Number.NaN] })).toThrow(TypeError);
    });
  });

  describe("properties", () => {
    it("agrees with the canonicalize package on arbitrary JSON (ASCII strings)", () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          expect(canonicalJson(value)).toBe(canonicalize(value));
        }),
        { numRuns: 500 },
      );
    });

    it("agrees with the canonicalize package on arbitrary JSON (full Unicode strings and keys)", () => {
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }), (value) => {
          expect(canonicalJson(value)).toBe(canonicalize(value));
        }),
        { numRuns: 500 },
      );
    });

    it("agrees with canonicalize on doubles including -0, subnormals and extremes", () => {
      fc.assert(
        fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
          expect(canonicalJson(n)).toBe(canonicalize(n));
          expect(Object.is(JSON.parse(canonicalJson(n)), n === 0 ? 0 : n)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it("is a fixed point: parsing canonical output and re-serialising gives the same text", () => {
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }), (value) => {
          const once = canonicalJson(value);
          expect(canonicalJson(JSON.parse(once))).toBe(once);
          expect(once).not.toContain("\n");
        }),
        { numRuns: 300 },
      );
    });

    it("does not depend on key insertion order", () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 2 }),
          (dict) => {
            const entries = Object.entries(dict);
            const reversed = Object.create(null) as Record<string, unknown>;
            for (const [k, v] of [...entries].reverse()) reversed[k] = v;
            expect(Object.keys(reversed)).toEqual(Object.keys(dict).reverse());
            expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});

describe("SHA-256", () => {
  const encoder = new TextEncoder();
  const vectors: Array<[string, string]> = [
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
    [
      "The quick brown fox jumps over the lazy dog",
      "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
    ],
  ];

  it("sha256Hex gives the known digests for strings and bytes", async () => {
    for (const [input, digest] of vectors) {
      expect(await sha256Hex(input), input).toBe(digest);
      expect(await sha256Hex(encoder.encode(input)), input).toBe(digest);
    }
  });

  it("sha256HexSync gives the known digests", () => {
    for (const [input, digest] of vectors) {
      expect(sha256HexSync(input), input).toBe(digest);
      expect(sha256HexSync(encoder.encode(input)), input).toBe(digest);
    }
  });

  it("createSha256 gives the known digests, including one million 'a' in chunks", () => {
    for (const [input, digest] of vectors) {
      const h = createSha256();
      h.update(input);
      expect(h.digestHex(), input).toBe(digest);
    }
    const h = createSha256();
    const chunk = "a".repeat(1000);
    for (let i = 0; i < 1000; i++) h.update(chunk);
    expect(h.digestHex()).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("the native and the pure-JS hash agree on any string, lone surrogates included", () => {
    // sha256HexSync takes the runtime's native hash where there is one (Node, Deno); createSha256
    // is pure JS. Both must encode a lone surrogate as U+FFFD, or ETags would differ by runtime.
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const h = createSha256();
        h.update(text);
        expect(sha256HexSync(text)).toBe(h.digestHex());
      }),
      { numRuns: 300 },
    );
    const h = createSha256();
    h.update("a\ud800b");
    expect(sha256HexSync("a\ud800b")).toBe(h.digestHex());
  });

  it("hashes strings as UTF-8", async () => {
    const text = "€ 😀 \u2028 é";
    const bytes = encoder.encode(text);
    expect(bytes.length).toBeGreaterThan(text.length);
    expect(sha256HexSync(text)).toBe(sha256HexSync(bytes));
    expect(await sha256Hex(text)).toBe(sha256HexSync(bytes));
    const h = createSha256();
    h.update(text);
    expect(h.digestHex()).toBe(sha256HexSync(bytes));
  });

  it("sha256Hex hashes only the view of a subarray, not its whole buffer", async () => {
    const whole = encoder.encode("xxabcxx");
    const view = whole.subarray(2, 5);
    expect(await sha256Hex(view)).toBe(vectors[1]![1]);
    expect(sha256HexSync(view)).toBe(vectors[1]![1]);
    const h = createSha256();
    h.update(view);
    expect(h.digestHex()).toBe(vectors[1]![1]);
  });

  it("toHex writes two lowercase digits per byte", () => {
    expect(toHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff]))).toBe("00010f10abff");
    expect(toHex(new Uint8Array())).toBe("");
  });

  it("incremental updates in any chunking (bytes and strings mixed) equal the one-shot digest", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 8 }),
        fc.boolean(),
        async (data, cuts, asStrings) => {
          const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
          const h = createSha256();
          let from = 0;
          for (const to of [...points, data.length]) {
            const piece = data.subarray(from, to);
            // Only ASCII bytes can be passed as text without changing the bytes (UTF-8 encoding).
            if (asStrings && piece.every((b) => b < 0x80)) h.update(String.fromCharCode(...piece));
            else h.update(piece);
            from = to;
          }
          const expected = await sha256Hex(data);
          expect(h.digestHex()).toBe(expected);
          expect(sha256HexSync(data)).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("incremental updates of a Unicode string split at arbitrary code points equal the one-shot digest", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 6 }),
        (text, cuts) => {
          const codePoints = [...text];
          const points = [...new Set(cuts.map((c) => Math.min(c, codePoints.length)))].sort((a, b) => a - b);
          const h = createSha256();
          let from = 0;
          for (const to of [...points, codePoints.length]) {
            h.update(codePoints.slice(from, to).join(""));
            from = to;
          }
          expect(h.digestHex()).toBe(sha256HexSync(text));
        },
      ),
      { numRuns: 200 },
    );
  });
});
