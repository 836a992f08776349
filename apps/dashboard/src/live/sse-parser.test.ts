import { describe, expect, it } from "vitest";
import { type SseEvent, SseParser } from "./sse-parser.ts";

/** Feeds `text` to a fresh parser in pieces cut at `cuts`, and returns every event. */
function parse(text: string, cuts: number[] = []): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    events.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return { events, parser };
}

const FEED =
  ": heartbeat\n\n" +
  'id: 7\nevent: change\ndata: {"seq":7}\n\n' +
  'id: 8\r\nevent: change\r\ndata: {"seq":8}\r\n\r\n' +
  "event: resync\rdata: line one\rdata: line two\r\r";

const EXPECTED: SseEvent[] = [
  { type: "change", data: '{"seq":7}', lastEventId: "7" },
  { type: "change", data: '{"seq":8}', lastEventId: "8" },
  { type: "resync", data: "line one\nline two", lastEventId: "8" },
];

describe("SseParser", () => {
  it("reads events with LF, CRLF and CR line ends, multi-line data and comments", () => {
    const { events, parser } = parse(FEED);
    expect(events).toEqual(EXPECTED);
    expect(parser.comments).toBe(1);
  });

  it("gives the same events however the stream is cut into chunks, even inside a CRLF", () => {
    for (let cut = 0; cut <= FEED.length; cut++) {
      expect(parse(FEED, [cut]).events, `cut at ${cut}`).toEqual(EXPECTED);
    }
    // One character at a time.
    expect(
      parse(
        FEED,
        Array.from({ length: FEED.length }, (_, i) => i),
      ).events,
    ).toEqual(EXPECTED);
  });

  it("does not dispatch an event until its blank line has arrived", () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\nevent: change\ndata: {"seq":1}\n')).toEqual([]);
    expect(parser.push("\n")).toEqual([{ type: "change", data: '{"seq":1}', lastEventId: "1" }]);
  });

  it("follows the standard's field rules: default type, one leading space, no-colon fields, id and retry", () => {
    const { events, parser } = parse(
      "data:no space\n\n" +
        "data\n\n" + // a field name alone: empty value
        "id: 5\n\n" + // no data: not dispatched, but the id stays
        "data: x\n\n" +
        "id: bad\0id\ndata: y\n\n" + // an id with NUL is ignored
        "retry: 2500\nretry: soon\nunknown: field\ndata:  two spaces\n\n",
    );
    expect(events).toEqual([
      { type: "message", data: "no space", lastEventId: "" },
      { type: "message", data: "", lastEventId: "" },
      { type: "message", data: "x", lastEventId: "5" },
      { type: "message", data: "y", lastEventId: "5" },
      { type: "message", data: " two spaces", lastEventId: "5" },
    ]);
    expect(parser.retryMs).toBe(2500);
  });

  it("drops a byte order mark at the start of the stream only", () => {
    expect(parse("\ufeffdata: a\n\n").events).toEqual([{ type: "message", data: "a", lastEventId: "" }]);
    // A later one is part of the field name ("\ufeffdata"), an unknown field: no event.
    expect(parse("\ufeffdata: a\n\n\ufeffdata: b\n\n").events).toHaveLength(1);
  });

  it("ignores empty chunks, also between a CR and its LF", () => {
    const parser = new SseParser();
    expect(parser.push("data: a\r")).toEqual([]);
    expect(parser.push("")).toEqual([]);
    expect(parser.push("\n")).toEqual([]);
    expect(parser.push("\r\n")).toEqual([{ type: "message", data: "a", lastEventId: "" }]);
  });

  it("parses a large batch of events in one chunk", () => {
    const text = Array.from({ length: 5000 }, (_, i) => `id: ${i}\ndata: {"seq":${i}}\n\n`).join("");
    const { events } = parse(text);
    expect(events).toHaveLength(5000);
    expect(events[4999]).toEqual({ type: "message", data: '{"seq":4999}', lastEventId: "4999" });
  });
});
