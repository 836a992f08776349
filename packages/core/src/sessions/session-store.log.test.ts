import { describe, expect, it } from "vitest";
import { StorageError } from "../errors/errors.ts";
import { bytesToText } from "../storage/adapter.ts";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { RecordingStorage } from "../testing/recording-storage.ts";
import { encodeLogLine } from "./message-log-format.ts";
import { SessionStore } from "./session-store.ts";

/** The message log path, through a storage that records every call. */
function setup(options: { maxMessages?: number } = {}) {
  const memory = new MemoryStorage();
  const storage = new RecordingStorage(memory, { appendLogs: true });
  return { memory, storage, sessions: new SessionStore(storage, options) };
}

const text = async (storage: MemoryStorage, key: string) => {
  const stored = await storage.get(key);
  return stored ? bytesToText(stored.body) : null;
};

describe("SessionStore message log", () => {
  it("appends 1,000 messages of 32 KB without rewriting the session file", async () => {
    const { memory, storage, sessions } = setup();
    const { id } = await sessions.create();
    const header = await text(memory, `sessions/${id}.json`);
    storage.calls.length = 0;
    const content = "x".repeat(32_000);
    for (let i = 0; i < 1000; i++) await sessions.addMessage(id, { role: "user", content });
    expect(storage.calls.filter((c) => c.op === "put")).toEqual([]);
    expect(storage.calls.filter((c) => c.op === "append")).toHaveLength(1000);
    // The log was read once (the first append), not per message.
    expect(storage.calls.filter((c) => c.op === "get")).toHaveLength(2);
    expect(await text(memory, `sessions/${id}.json`)).toBe(header);
    const history = (await sessions.get(id)).chat_history;
    expect(history).toHaveLength(1000);
    expect(history.every((m) => m.content === content)).toBe(true);
  });

  it("folds the log into the session file once it would pass the cap, dropping the oldest", async () => {
    const { memory, storage, sessions } = setup({ maxMessages: 5 });
    const { id } = await sessions.create();
    storage.calls.length = 0;
    for (let i = 1; i <= 12; i++) await sessions.addMessage(id, { role: "user", content: `m${i}` });
    // Folds before the 6th and the 11th message: one rewrite per 5 messages, not per message.
    expect(storage.calls.filter((c) => c.op === "put").map((c) => c.key)).toEqual([
      `sessions/${id}.json`,
      `sessions/${id}.json`,
    ]);
    const contents = (await sessions.get(id)).chat_history.map((m) => m.content);
    expect(contents).toEqual(["m8", "m9", "m10", "m11", "m12"]);
    // On disk: the folded file holds the 5 newest of m1..m10, the log m11 and m12.
    const folded = JSON.parse((await text(memory, `sessions/${id}.json`))!);
    expect(folded.chat_history.map((m: { content: string }) => m.content)).toEqual([
      "m6",
      "m7",
      "m8",
      "m9",
      "m10",
    ]);
    expect((await text(memory, `sessions/${id}.messages.jsonl`))!.trim().split("\n")).toHaveLength(2);
    // A fresh store (a restart) sees the same and continues the numbering.
    const restarted = new SessionStore(memory, { maxMessages: 5 });
    await restarted.addMessage(id, { role: "assistant", content: "m13" });
    expect((await restarted.get(id)).chat_history.map((m) => m.content)).toEqual([
      "m9",
      "m10",
      "m11",
      "m12",
      "m13",
    ]);
  });

  it("a crash between writing the folded file and removing the log duplicates nothing", async () => {
    const { memory, storage, sessions } = setup({ maxMessages: 3 });
    const { id } = await sessions.create();
    for (let i = 1; i <= 3; i++) await sessions.addMessage(id, { role: "user", content: `m${i}` });
    const log = `sessions/${id}.messages.jsonl`;
    const before = (await memory.get(log))!.body;
    // The fold's removal of the log fails, as a crash right after the file replace would leave it.
    storage.failWith = (call) =>
      call.op === "delete" && call.key === log ? new StorageError("crash") : undefined;
    await expect(sessions.addMessage(id, { role: "user", content: "m4" })).rejects.toThrow("crash");
    storage.failWith = undefined;
    expect((await memory.get(log))!.body).toEqual(before);
    expect(JSON.parse((await text(memory, `sessions/${id}.json`))!).log_folded_through).toBe(3);

    for (const reader of [sessions, new SessionStore(memory, { maxMessages: 3 })]) {
      expect((await reader.get(id)).chat_history.map((m) => m.content)).toEqual(["m1", "m2", "m3"]);
    }
    const restarted = new SessionStore(memory, { maxMessages: 3 });
    await restarted.addMessage(id, { role: "user", content: "m4" });
    await restarted.addMessage(id, { role: "user", content: "m5" });
    expect((await restarted.get(id)).chat_history.map((m) => m.content)).toEqual(["m3", "m4", "m5"]);
    expect(await restarted.get(id)).not.toHaveProperty("log_folded_through");
  });

  it("ignores a torn last line on read and cuts it off before the next append", async () => {
    const { memory, sessions } = setup();
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "kept" });
    const log = `sessions/${id}.messages.jsonl`;
    const whole = (await memory.get(log))!.body;
    const next = encodeLogLine(2, { role: "assistant", content: "torn", at: "2026-01-01T00:00:00.000Z" });
    // Every proper prefix of the next line (including NUL padding) is a torn tail.
    for (const tail of [next.subarray(0, 1), next.subarray(0, next.length - 1), new Uint8Array(9)]) {
      await memory.put(log, concat(whole, tail));
      const fresh = new SessionStore(memory);
      expect((await fresh.get(id)).chat_history.map((m) => m.content)).toEqual(["kept"]);
      await fresh.addMessage(id, { role: "assistant", content: "after" });
      expect((await fresh.get(id)).chat_history.map((m) => m.content)).toEqual(["kept", "after"]);
      expect(bytesToText((await memory.get(log))!.body).split("\n")).toHaveLength(3); // 2 lines + ""
      await memory.put(log, whole);
    }
  });

  it("a damaged line followed by valid ones is an integrity error, never skipped", async () => {
    const { memory, sessions } = setup();
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "one" });
    await sessions.addMessage(id, { role: "user", content: "two" });
    const log = `sessions/${id}.messages.jsonl`;
    const lines = bytesToText((await memory.get(log))!.body).split("\n");
    await memory.put(log, [lines[0]!.slice(0, 10), lines[1], ""].join("\n"));
    const fresh = new SessionStore(memory);
    await expect(fresh.get(id)).rejects.toMatchObject({ code: "integrity_error" });
    await expect(fresh.addMessage(id, { role: "user", content: "x" })).rejects.toMatchObject({
      code: "integrity_error",
    });
  });

  it("a failed append stores nothing, and the session takes appends again", async () => {
    const { memory, storage, sessions } = setup();
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "one" });
    storage.failWith = (call) => (call.op === "append" ? new StorageError("disk full") : undefined);
    await expect(sessions.addMessage(id, { role: "user", content: "lost" })).rejects.toThrow("disk full");
    storage.failWith = undefined;
    await sessions.addMessage(id, { role: "user", content: "two" });
    expect((await sessions.get(id)).chat_history.map((m) => m.content)).toEqual(["one", "two"]);
    const seqs = bytesToText((await memory.get(`sessions/${id}.messages.jsonl`))!.body)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).seq);
    expect(seqs).toEqual([1, 2]);
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
