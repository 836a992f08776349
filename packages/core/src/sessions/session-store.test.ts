import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { SESSION_ID, SessionStore } from "./session-store.ts";

describe("SessionStore", () => {
  it("creates sessions with unguessable ids and persists chat history", async () => {
    const storage = new MemoryStorage();
    const sessions = new SessionStore(storage, { clock: new ManualClock("2026-02-03T04:05:06.000Z") });
    const a = await sessions.create();
    const b = await sessions.create();
    expect(a.id).toMatch(SESSION_ID);
    expect(a.id).not.toBe(b.id);
    await Promise.all([
      sessions.addMessage(a.id, { role: "user", content: "What is the regime?" }),
      sessions.addMessage(a.id, { role: "assistant", content: "Goldilocks." }),
    ]);
    const again = await new SessionStore(storage).get(a.id);
    expect(again.chat_history).toEqual([
      { role: "user", content: "What is the regime?", at: "2026-02-03T04:05:06.000Z" },
      { role: "assistant", content: "Goldilocks.", at: "2026-02-03T04:05:06.000Z" },
    ]);
    expect((await storage.list("sessions/")).map((o) => o.key).sort()).toEqual(
      [`sessions/${a.id}.json`, `sessions/${b.id}.json`].sort(),
    );
  });

  it("loses no message when several processes (isolates) append to one session at once", async () => {
    const storage = new MemoryStorage();
    const created = await new SessionStore(storage).create();
    // Separate stores share no lock: only compare-and-swap on the stored etag orders them.
    const writers = Array.from({ length: 8 }, () => new SessionStore(storage));
    await Promise.all(
      writers.flatMap((w, i) => [
        w.addMessage(created.id, { role: "user", content: `q${i}` }),
        w.addMessage(created.id, { role: "assistant", content: `a${i}` }),
      ]),
    );
    const contents = (await new SessionStore(storage).get(created.id)).chat_history.map((m) => m.content);
    expect(contents.sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => [`a${i}`, `q${i}`])
        .flat()
        .sort(),
    );
  });

  it("treats malformed and unknown ids as not found without touching storage paths", async () => {
    const sessions = new SessionStore(new MemoryStorage());
    for (const id of ["../x", "", "__proto__", "A".repeat(32), `${"a".repeat(31)}/`]) {
      await expect(sessions.get(id)).rejects.toMatchObject({ code: "not_found" });
    }
    await expect(sessions.get("0".repeat(32))).rejects.toMatchObject({ code: "not_found" });
  });

  it("validates messages", async () => {
    const sessions = new SessionStore(new MemoryStorage());
    const s = await sessions.create();
    await expect(sessions.addMessage(s.id, { role: "system" as "user", content: "x" })).rejects.toMatchObject(
      {
        code: "validation_error",
      },
    );
    await expect(
      sessions.addMessage(s.id, { role: "user", content: "x".repeat(40_000) }),
    ).rejects.toMatchObject({
      code: "validation_error",
    });
    expect((await sessions.get(s.id)).chat_history).toEqual([]);
  });
});
