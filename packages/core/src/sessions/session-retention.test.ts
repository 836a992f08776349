import { describe, expect, it } from "vitest";
import { sessionsPastRetention } from "./session-retention.ts";

describe("sessionsPastRetention", () => {
  const now = 1_000_000;
  const sessions = [
    { id: "c", lastActiveMs: now - 10 },
    { id: "a", lastActiveMs: now - 500 },
    { id: "b", lastActiveMs: now - 500 },
    { id: "d", lastActiveMs: now - 1 },
  ];

  it("removes the least recently active beyond the count, ties by id", () => {
    expect(sessionsPastRetention(sessions, now, { maxSessions: 2, maxAgeMs: 10_000 })).toEqual(["a", "b"]);
    expect(sessionsPastRetention(sessions, now, { maxSessions: 3, maxAgeMs: 10_000 })).toEqual(["a"]);
    expect(sessionsPastRetention(sessions, now, { maxSessions: 4, maxAgeMs: 10_000 })).toEqual([]);
    expect(sessionsPastRetention(sessions, now, { maxSessions: 0, maxAgeMs: 10_000 })).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
  });

  it("removes every session idle longer than maxAgeMs, whatever the count", () => {
    expect(sessionsPastRetention(sessions, now, { maxSessions: 10, maxAgeMs: 10 })).toEqual(["a", "b"]);
    expect(sessionsPastRetention(sessions, now, { maxSessions: 10, maxAgeMs: 9 })).toEqual(["a", "b", "c"]);
    expect(sessionsPastRetention(sessions, now, { maxSessions: 3, maxAgeMs: 100 })).toEqual(["a", "b"]);
  });
});
