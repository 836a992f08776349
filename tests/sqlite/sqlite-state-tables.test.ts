import type { ChatMessage, DawsosError, WorkflowRun } from "@dawsos/core";
import { ManualClock } from "@dawsos/core";
import { SqlSessionStore, SqlWorkflowHistory } from "@dawsos/core/sqlite-store";
import { afterEach, describe, expect, it } from "vitest";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

const dbs: BetterSqliteDatabase[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});
function database(): BetterSqliteDatabase {
  const db = new BetterSqliteDatabase();
  dbs.push(db);
  return db;
}

const run = (i: number, workflow = i % 2 ? "odd" : "even"): WorkflowRun =>
  ({
    id: `run_${i}`,
    workflow,
    timestamp: `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.000Z`,
    status: "completed",
    duration_ms: i,
    steps: [],
  }) as WorkflowRun;

describe("SqlWorkflowHistory", () => {
  it("keeps the newest `limit` runs, trimmed in the append's transaction; lists newest first", async () => {
    const db = database();
    const history = new SqlWorkflowHistory(db, { limit: 5 });
    for (let i = 1; i <= 8; i++) await history.append(run(i));
    expect((await history.all()).map((r) => r.id)).toEqual(["run_4", "run_5", "run_6", "run_7", "run_8"]);
    expect((await history.list({ workflow: "odd", limit: 2 })).map((r) => r.id)).toEqual(["run_7", "run_5"]);
    expect((await history.list()).map((r) => r.id)[0]).toBe("run_8");
    // The trim failing undoes the insert: one transaction.
    db.failOn = (query) => query.startsWith("DELETE FROM workflow_runs");
    await expect(history.append(run(9))).rejects.toThrow(/injected/);
    db.failOn = null;
    expect((await history.all()).map((r) => r.id)).toEqual(["run_4", "run_5", "run_6", "run_7", "run_8"]);
    await expect(history.append({ id: 1 } as unknown as WorkflowRun)).rejects.toMatchObject({
      code: "validation_error",
    });
  });
});

describe("SqlSessionStore", () => {
  it("creates, appends by inserting rows (none lost when concurrent), trims, deletes", async () => {
    const db = database();
    const sessions = new SqlSessionStore(db, {
      clock: new ManualClock("2026-01-01T00:00:00.000Z"),
      maxMessages: 40,
    });
    const session = await sessions.create();
    expect(session).toMatchObject({ created: "2026-01-01T00:00:00.000Z", chat_history: [] });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        sessions.addMessage(session.id, { role: "user", content: `m${i}` }),
      ),
    );
    const stored = await sessions.get(session.id);
    expect(stored.chat_history.map((m) => m.content)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    for (let i = 30; i < 45; i++)
      await sessions.addMessage(session.id, { role: "assistant", content: `m${i}` });
    const trimmed = (await sessions.get(session.id)).chat_history.map((m) => m.content);
    expect(trimmed.length).toBe(40);
    expect(trimmed[0]).toBe("m5");
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: DawsosError) => e.code,
      );
    expect(await code(sessions.addMessage(session.id, { role: "system" as "user", content: "x" }))).toBe(
      "validation_error",
    );
    expect(await code(sessions.get("../etc"))).toBe("not_found");
    await sessions.delete(session.id);
    expect(await code(sessions.get(session.id))).toBe("not_found");
    expect(await code(sessions.addMessage(session.id, { role: "user", content: "late" }))).toBe("not_found");
  });

  it("retention: a create removes sessions idle past maxAgeMs, then the least recently active over maxSessions", async () => {
    const db = database();
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    const sessions = new SqlSessionStore(db, { clock, maxSessions: 3, maxAgeMs: 10 * 60_000 });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await sessions.create()).id);
      clock.advance(60_000);
    }
    // The oldest is written to: it becomes the most recently active.
    await sessions.addMessage(made[0]!, { role: "user", content: "still here" });
    clock.advance(60_000);
    const fourth = (await sessions.create()).id;
    const alive = async (id: string) =>
      sessions.get(id).then(
        () => true,
        () => false,
      );
    expect(await Promise.all(made.map(alive))).toEqual([true, false, true]);
    expect(await alive(fourth)).toBe(true);
    // Eleven minutes later every earlier session is idle past 10 minutes.
    clock.advance(11 * 60_000);
    const fifth = (await sessions.create()).id;
    expect(await Promise.all([made[0]!, made[2]!, fourth].map(alive))).toEqual([false, false, false]);
    expect(await alive(fifth)).toBe(true);
    clock.advance(11 * 60_000);
    expect(await sessions.sweep()).toEqual({ removed: 1 });
    expect(await alive(fifth)).toBe(false);
  });
});

describe("imports (a migration's copy of the R2 history and sessions)", () => {
  it("importRuns appends in order, verbatim, keeps the newest `limit`; all or nothing", async () => {
    const db = database();
    const history = new SqlWorkflowHistory(db, { limit: 4 });
    await history.append(run(0));
    const runs = [1, 2, 3].map((i) => ({ ...run(i), unknown_member: { i } }) as WorkflowRun);
    expect(history.importRuns(runs)).toBe(3);
    expect(await history.all()).toEqual([run(0), ...runs]);
    expect(() => history.importRuns([run(4), { id: "bad" } as unknown as WorkflowRun])).toThrow(
      expect.objectContaining({ code: "validation_error", details: expect.objectContaining({ index: 1 }) }),
    );
    expect(await history.all()).toEqual([run(0), ...runs]);
    history.importRuns([run(5), run(6)]);
    expect((await history.all()).map((r) => r.id)).toEqual(["run_2", "run_3", "run_5", "run_6"]);
  });

  it("importSession keeps id, created and messages (newest maxMessages); a stored id is left alone", async () => {
    const db = database();
    const clock = new ManualClock("2026-01-10T00:00:00.000Z");
    const sessions = new SqlSessionStore(db, { clock, maxMessages: 3, maxAgeMs: 5 * 24 * 3600_000 });
    const id = "0123456789abcdef0123456789abcdef";
    const messages = [1, 2, 3, 4].map((i) => ({
      role: i % 2 ? "user" : "assistant",
      content: `m${i} 🚀`,
      at: `2026-01-0${i}T00:00:00.000Z`,
      extra: i,
    })) as unknown as ChatMessage[];
    expect(sessions.has(id)).toBe(false);
    expect(sessions.importSession({ id, created: "2025-12-31T00:00:00.000Z", chat_history: messages })).toBe(
      true,
    );
    expect(sessions.has(id)).toBe(true);
    expect(await sessions.get(id)).toEqual({
      id,
      created: "2025-12-31T00:00:00.000Z",
      chat_history: messages.slice(1),
    });
    expect(sessions.importSession({ id, created: "x", chat_history: [] })).toBe(false);
    expect((await sessions.get(id)).chat_history).toHaveLength(3);
    expect(() => sessions.importSession({ id: "../x", created: "x", chat_history: [] })).toThrow(
      expect.objectContaining({ code: "validation_error" }),
    );
    // Its activity is its last message (Jan 4): idle past 5 days on Jan 10, so retention removes it.
    expect(await sessions.sweep()).toEqual({ removed: 1 });
    expect(sessions.has(id)).toBe(false);
  });
});
