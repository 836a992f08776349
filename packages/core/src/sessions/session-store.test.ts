import { describe, expect, it } from "vitest";
import type { StorageCapabilities } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { SESSION_ID } from "./session-files.ts";
import { SessionStore } from "./session-store.ts";

/** Memory storage without a durable append: the compare-and-swap path R2 takes. */
class NoAppendStorage extends RecordingStorage {
  constructor(inner = new MemoryStorage()) {
    super(inner);
  }
  override get capabilities(): StorageCapabilities {
    return { ...this.inner.capabilities, durableAppend: false };
  }
}

const keysOf = async (storage: MemoryStorage) => (await storage.list("sessions/")).map((o) => o.key);

describe("SessionStore", () => {
  it("creates sessions with unguessable ids; answers appends with the stored message", async () => {
    const storage = new MemoryStorage();
    const sessions = new SessionStore(storage, { clock: new ManualClock("2026-02-03T04:05:06.000Z") });
    const a = await sessions.create();
    const b = await sessions.create();
    expect(a.id).toMatch(SESSION_ID);
    expect(a.id).not.toBe(b.id);
    expect(await sessions.addMessage(a.id, { role: "user", content: "What is the regime?" })).toEqual({
      role: "user",
      content: "What is the regime?",
      at: "2026-02-03T04:05:06.000Z",
    });
    await sessions.addMessage(a.id, { role: "assistant", content: "Goldilocks." });
    const again = await new SessionStore(storage).get(a.id);
    expect(again).toEqual({
      id: a.id,
      created: "2026-02-03T04:05:06.000Z",
      chat_history: [
        { role: "user", content: "What is the regime?", at: "2026-02-03T04:05:06.000Z" },
        { role: "assistant", content: "Goldilocks.", at: "2026-02-03T04:05:06.000Z" },
      ],
    });
    expect((await keysOf(storage)).sort()).toEqual(
      [`sessions/${a.id}.json`, `sessions/${a.id}.messages.jsonl`, `sessions/${b.id}.json`].sort(),
    );
  });

  it("lands every one of many concurrent appends to one session, in call order", async () => {
    for (const storage of [new MemoryStorage(), new NoAppendStorage()]) {
      const sessions = new SessionStore(storage);
      const { id } = await sessions.create();
      const contents = Array.from({ length: 60 }, (_, i) => `m${i}`);
      await Promise.all(contents.map((content) => sessions.addMessage(id, { role: "user", content })));
      expect((await sessions.get(id)).chat_history.map((m) => m.content)).toEqual(contents);
    }
  });

  it("loses no message when several processes (isolates) append to one session at once", async () => {
    const storage = new NoAppendStorage();
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
    // No log on this path: the messages are in the session file itself.
    expect(storage.calls.some((c) => c.key.endsWith(".jsonl"))).toBe(false);
  });

  it("reads sessions written before the message log existed, and appends to them", async () => {
    const storage = new MemoryStorage();
    const id = "0123456789abcdef0123456789abcdef";
    const old = { role: "user", content: "old", at: "2025-01-01T00:00:00.000Z" };
    const legacy = { id, created: "2025-01-01T00:00:00.000Z", chat_history: [old], topic: "macro" };
    await storage.put(`sessions/${id}.json`, JSON.stringify(legacy, null, 2));
    const sessions = new SessionStore(storage, { clock: new ManualClock("2026-01-01T00:00:00.000Z") });
    expect(await sessions.get(id)).toEqual(legacy);
    const added = await sessions.addMessage(id, { role: "assistant", content: "new" });
    expect(await sessions.get(id)).toEqual({ ...legacy, chat_history: [old, added] });
  });

  it("treats malformed and unknown ids as not found without touching storage paths", async () => {
    const storage = new RecordingStorage(new MemoryStorage(), { appendLogs: true });
    const sessions = new SessionStore(storage);
    for (const id of ["../x", "", "__proto__", "A".repeat(32), `${"a".repeat(31)}/`]) {
      await expect(sessions.get(id)).rejects.toMatchObject({ code: "not_found" });
      await expect(sessions.addMessage(id, { role: "user", content: "x" })).rejects.toMatchObject({
        code: "not_found",
      });
      await expect(sessions.delete(id)).rejects.toMatchObject({ code: "not_found" });
    }
    expect(storage.calls).toEqual([]);
    const unknown = "0".repeat(32);
    await expect(sessions.get(unknown)).rejects.toMatchObject({ code: "not_found" });
    await expect(sessions.addMessage(unknown, { role: "user", content: "x" })).rejects.toMatchObject({
      code: "not_found",
    });
    // An unknown session gets no log file.
    expect(await storage.list("sessions/")).toEqual([]);
  });

  it("validates messages", async () => {
    const sessions = new SessionStore(new MemoryStorage());
    const s = await sessions.create();
    await expect(sessions.addMessage(s.id, { role: "system" as "user", content: "x" })).rejects.toMatchObject(
      { code: "validation_error" },
    );
    await expect(
      sessions.addMessage(s.id, { role: "user", content: "x".repeat(40_000) }),
    ).rejects.toMatchObject({ code: "validation_error" });
    expect((await sessions.get(s.id)).chat_history).toEqual([]);
  });

  it("keeps no per-id lock once calls settle, whatever ids were used", async () => {
    const sessions = new SessionStore(new MemoryStorage());
    const real = await Promise.all([sessions.create(), sessions.create()]);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      const unknown = i.toString(16).padStart(32, "0");
      calls.push(sessions.addMessage(unknown, { role: "user", content: "x" }).catch(() => "404"));
      calls.push(sessions.addMessage(`bad-${i}`, { role: "user", content: "x" }).catch(() => "404"));
      calls.push(sessions.get(unknown).catch(() => "404"));
      if (i % 10 === 0) {
        for (const s of real) calls.push(sessions.addMessage(s.id, { role: "user", content: `${i}` }));
      }
    }
    expect(sessions.activeLocks).toBeGreaterThan(0); // the counter does count while calls run
    await Promise.all(calls);
    expect(sessions.activeLocks).toBe(0);
    expect((await sessions.get(real[0]!.id)).chat_history).toHaveLength(300);
    expect(sessions.activeLocks).toBe(0);
  });

  it("DELETE removes the session and everything stored for it; then it is not found", async () => {
    for (const storage of [new MemoryStorage(), new NoAppendStorage()]) {
      const sessions = new SessionStore(storage);
      const keep = await sessions.create();
      const gone = await sessions.create();
      await sessions.addMessage(gone.id, { role: "user", content: "bye" });
      await sessions.delete(gone.id);
      await expect(sessions.get(gone.id)).rejects.toMatchObject({ code: "not_found" });
      await expect(sessions.addMessage(gone.id, { role: "user", content: "x" })).rejects.toMatchObject({
        code: "not_found",
      });
      await expect(sessions.delete(gone.id)).rejects.toMatchObject({ code: "not_found" });
      const left = (await storage.list("sessions/")).map((o) => o.key);
      expect(left).toEqual([`sessions/${keep.id}.json`]);
      expect(sessions.activeLocks).toBe(0);
    }
  });

  it("refuses options that would keep nothing", () => {
    const storage = new MemoryStorage();
    for (const options of [
      { maxSessions: 0 },
      { maxMessages: 1.5 },
      { maxAgeMs: 0 },
      { maxAgeMs: Number.NaN },
    ]) {
      expect(() => new SessionStore(storage, options)).toThrow(
        expect.objectContaining({ code: "validation_error" }),
      );
    }
  });
});
