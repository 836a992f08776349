import { describe, expect, it } from "vitest";
import type { ListedObject, StorageCapabilities } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { ManualClock } from "../util/clock.ts";
import { SessionStore, type SessionStoreOptions } from "./session-store.ts";

const DAY = 24 * 60 * 60 * 1000;

function setup(options: SessionStoreOptions = {}) {
  const clock = new ManualClock("2026-03-01T00:00:00.000Z");
  const storage = new MemoryStorage({ clock });
  return { clock, storage, sessions: new SessionStore(storage, { clock, ...options }) };
}

const ids = async (storage: MemoryStorage) =>
  [...new Set((await storage.list("sessions/")).map((o) => o.key.slice(9, 41)))].sort();

/** The compare-and-swap path (no append), over storage that reports no modification times. */
class TimelessStorage extends RecordingStorage {
  override get capabilities(): StorageCapabilities {
    return { ...this.inner.capabilities, durableAppend: false };
  }
  override async list(prefix: string): Promise<ListedObject[]> {
    return (await super.list(prefix)).map(({ key, size }) => ({ key, size }));
  }
}

describe("SessionStore retention", () => {
  it("by count: a create removes the least recently active, never the session it creates", async () => {
    const { clock, storage, sessions } = setup({ maxSessions: 3 });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await sessions.create()).id);
      clock.advance(1000);
    }
    // Activity, not creation, decides: the first session is the most recently active now.
    await sessions.addMessage(made[0]!, { role: "user", content: "still here" });
    clock.advance(1000);
    const fourth = (await sessions.create()).id;
    expect(await ids(storage)).toEqual([made[0]!, made[2]!, fourth].sort());
    clock.advance(1000);
    const fifth = (await sessions.create()).id;
    expect(await ids(storage)).toEqual([made[0]!, fourth, fifth].sort());

    const single = setup({ maxSessions: 1 });
    await single.sessions.create();
    const only = await single.sessions.create();
    expect(await ids(single.storage)).toEqual([only.id]);
    expect((await single.sessions.get(only.id)).chat_history).toEqual([]);
  });

  it("by age: sessions idle past maxAgeMs are removed on create and by sweep()", async () => {
    const { clock, storage, sessions } = setup({ maxAgeMs: 30 * DAY });
    const idle = (await sessions.create()).id;
    const chatty = (await sessions.create()).id;
    clock.advance(29 * DAY);
    await sessions.addMessage(chatty, { role: "user", content: "ping" });
    clock.advance(DAY + 1); // idle: 30 days + 1 ms; chatty: 1 day + 1 ms
    const fresh = (await sessions.create()).id;
    expect(await ids(storage)).toEqual([chatty, fresh].sort());
    await expect(sessions.get(idle)).rejects.toMatchObject({ code: "not_found" });

    clock.advance(30 * DAY); // exactly 30 days after fresh was created: not yet past
    expect(await sessions.sweep()).toEqual({ removed: 1 });
    expect(await ids(storage)).toEqual([fresh]);
    clock.advance(1);
    expect(await sessions.sweep()).toEqual({ removed: 1 });
    expect(await ids(storage)).toEqual([]);
    expect(sessions.activeLocks).toBe(0);
  });

  it("sweep() also removes message logs left without their session (a crash mid-delete)", async () => {
    const { storage, sessions } = setup();
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "x" });
    await storage.delete(`sessions/${id}.json`);
    await storage.put("sessions/README.txt", "not a session: left alone");
    expect(await sessions.sweep()).toEqual({ removed: 1 });
    expect((await storage.list("sessions/")).map((o) => o.key)).toEqual(["sessions/README.txt"]);
  });

  it("a create removes a bounded number of sessions; sweep() removes the rest", async () => {
    const { clock, storage } = setup();
    const many = new SessionStore(storage, { clock });
    for (let i = 0; i < 40; i++) await many.create();
    const few = new SessionStore(storage, { clock, maxSessions: 5 });
    await few.create();
    expect((await ids(storage)).length).toBe(41 - 16); // 16 removed by that create
    expect(await few.sweep()).toEqual({ removed: 20 });
    expect((await ids(storage)).length).toBe(5);
  });

  it("with one writer (the log path) creates do not list storage: an index kept by its writes decides", async () => {
    const clock = new ManualClock("2026-03-01T00:00:00.000Z");
    const memory = new MemoryStorage({ clock });
    const storage = new RecordingStorage(memory, { appendLogs: true });
    const sessions = new SessionStore(storage, { clock, maxSessions: 3, maxAgeMs: 10 * DAY });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await sessions.create()).id);
      clock.advance(1000);
    }
    await sessions.addMessage(made[0]!, { role: "user", content: "active" });
    clock.advance(1000);
    const fourth = (await sessions.create()).id;
    expect(await ids(memory)).toEqual([made[0]!, made[2]!, fourth].sort());
    // One listing, by the first create; later judgements came from the index.
    expect(storage.calls.filter((c) => c.op === "list")).toHaveLength(1);

    // A session written by another process is not in the index until the hourly resync.
    const outsider = (await new SessionStore(memory, { clock }).create()).id;
    await sessions.create();
    expect(await ids(memory)).toContain(outsider); // four sessions on disk: the index knew three
    clock.advance(60 * 60 * 1000);
    const last = (await sessions.create()).id;
    expect(storage.calls.filter((c) => c.op === "list")).toHaveLength(2);
    expect((await ids(memory)).length).toBe(3);
    expect(await ids(memory)).toContain(last);
  });

  it("storage without modification times: judged by the last message (compare-and-swap path)", async () => {
    const clock = new ManualClock("2026-03-01T00:00:00.000Z");
    const storage = new TimelessStorage(new MemoryStorage());
    const sessions = new SessionStore(storage, { clock, maxAgeMs: 10 * DAY });
    const idle = (await sessions.create()).id;
    const active = (await sessions.create()).id;
    clock.advance(9 * DAY);
    await sessions.addMessage(active, { role: "user", content: "x" });
    clock.advance(2 * DAY);
    const fresh = (await sessions.create()).id;
    const left = [...new Set((await storage.list("sessions/")).map((o) => o.key.slice(9, 41)))].sort();
    expect(left).toEqual([active, fresh].sort());
    await expect(sessions.get(idle)).rejects.toMatchObject({ code: "not_found" });
    // Other isolates write this storage too: every create lists it.
    expect(storage.calls.filter((c) => c.op === "list").length).toBe(4); // 3 creates + the check above
  });
});
