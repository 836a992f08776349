import { describe, expect, it } from "vitest";
import { encodeLogLine, scanMessageLog } from "./message-log-format.ts";

const at = "2026-01-01T00:00:00.000Z";
const lines = [
  encodeLogLine(1, { role: "user", content: "first", at }),
  encodeLogLine(2, { role: "assistant", content: 'quotes " and \\ and ünïcode and \n newlines', at }),
  encodeLogLine(3, { role: "user", content: "third", at }),
];
const whole = concat(...lines);

describe("message log lines", () => {
  it("round-trips entries", () => {
    const scan = scanMessageLog(whole, "k");
    expect(scan.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(scan.entries[1]!.message.content).toBe('quotes " and \\ and ünïcode and \n newlines');
    expect(scan.validLength).toBe(whole.length);
  });

  it("a log cut at any byte keeps exactly the complete lines before the cut", () => {
    const ends = [lines[0]!.length, lines[0]!.length + lines[1]!.length, whole.length];
    for (let cut = 0; cut <= whole.length; cut++) {
      const scan = scanMessageLog(whole.subarray(0, cut), "k");
      const complete = ends.filter((end) => end <= cut);
      expect(scan.entries, `cut at ${cut}`).toHaveLength(complete.length);
      expect(scan.validLength, `cut at ${cut}`).toBe(complete.at(-1) ?? 0);
    }
  });

  it("a damaged last line (NULs, a broken entry) is a torn tail", () => {
    for (const tail of [
      "\0\0\0\0\n",
      '{"seq":4,"role":"user"}\n',
      "\n",
      '{"seq":4,"role":"user","content":"x"',
    ]) {
      const bytes = concat(whole, new TextEncoder().encode(tail));
      const scan = scanMessageLog(bytes, "k");
      expect(scan.entries).toHaveLength(3);
      expect(scan.validLength).toBe(whole.length);
    }
  });

  it("a damaged line followed by a valid one is an integrity error naming the file", () => {
    const damaged = concat(lines[0]!, new TextEncoder().encode('{"seq":2,"ro\n'), lines[2]!);
    expect(() => scanMessageLog(damaged, "sessions/x.messages.jsonl")).toThrow(
      expect.objectContaining({ code: "integrity_error", file: "sessions/x.messages.jsonl" }),
    );
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
