/**
 * Issue 10: sessions on the Node server's filesystem — retention at start (judged by file
 * times, `DAWSOS_SESSION_MAX_AGE_DAYS`), and a message POST appending to
 * `sessions/<id>.messages.jsonl` without touching `sessions/<id>.json`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildNodeServer,
  http,
  killAll,
  makeTempDir,
  removeTempDirs,
  startServer,
} from "../support/processes.ts";

beforeAll(async () => {
  await buildNodeServer();
});
afterAll(async () => {
  await killAll();
  await removeTempDirs();
});

const DAY_S = 24 * 60 * 60;

/** A session file as older versions wrote it, last written `daysAgo` days ago. */
function writeSession(dir: string, id: string, daysAgo: number, history: unknown[] = []): string {
  const path = join(dir, "sessions", `${id}.json`);
  writeFileSync(path, JSON.stringify({ id, created: "2026-01-01T00:00:00.000Z", chat_history: history }));
  const at = Date.now() / 1000 - daysAgo * DAY_S;
  utimesSync(path, at, at);
  return path;
}

describe("sessions on the Node server", () => {
  it("at start, removes sessions idle past DAWSOS_SESSION_MAX_AGE_DAYS and orphan logs; keeps active ones", async () => {
    const dir = await makeTempDir("dawsos-sessions-start-");
    mkdirSync(join(dir, "sessions"));
    const [idle, active, orphan] = ["a", "b", "c"].map((c) => c.repeat(32)) as [string, string, string];
    writeSession(dir, idle, 11);
    // Created long ago, but its log was written just now: active.
    writeSession(dir, active, 11);
    const line = { seq: 1, role: "user", content: "recent", at: new Date().toISOString() };
    writeFileSync(join(dir, "sessions", `${active}.messages.jsonl`), `${JSON.stringify(line)}\n`);
    writeFileSync(join(dir, "sessions", `${orphan}.messages.jsonl`), `${JSON.stringify(line)}\n`);

    const server = await startServer({ storageDir: dir, env: { DAWSOS_SESSION_MAX_AGE_DAYS: "10" } });
    expect(existsSync(join(dir, "sessions", `${idle}.json`))).toBe(false);
    expect(existsSync(join(dir, "sessions", `${orphan}.messages.jsonl`))).toBe(false);
    expect((await http(server.url, "GET", `/api/sessions/${idle}`)).status).toBe(404);
    const kept = await http(server.url, "GET", `/api/sessions/${active}`);
    expect(kept.status).toBe(200);
    expect((kept.json as { chat_history: { content: string }[] }).chat_history.map((m) => m.content)).toEqual(
      ["recent"],
    );
    // stderr is a separate pipe from the stdout "listening" line: give it a moment to arrive.
    for (let i = 0; i < 50 && !server.stderr().includes("sessions_removed"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(server.stderr()).toMatch(/"event":"sessions_removed","removed":2/);
  });

  it("a message POST appends to the log and leaves the session file as it was; DELETE removes both", async () => {
    const dir = await makeTempDir("dawsos-sessions-append-");
    const server = await startServer({ storageDir: dir });
    const created = await http(server.url, "POST", "/api/sessions");
    expect(created.status).toBe(201);
    const { id } = created.json as { id: string };
    const file = join(dir, "sessions", `${id}.json`);
    const log = join(dir, "sessions", `${id}.messages.jsonl`);
    const bytes = readFileSync(file);
    const { ino, mtimeMs } = statSync(file);

    for (const content of ["one", "two", "x".repeat(32_000)]) {
      const posted = await http(server.url, "POST", `/api/sessions/${id}/messages`, {
        body: { role: "user", content },
      });
      expect(posted.status).toBe(201);
      expect(posted.json).toMatchObject({ role: "user", content });
    }
    expect(readFileSync(file)).toEqual(bytes);
    expect(statSync(file)).toMatchObject({ ino, mtimeMs }); // not replaced (a rename makes a new inode)
    expect(readFileSync(log, "utf8").trim().split("\n")).toHaveLength(3);

    expect((await http(server.url, "DELETE", `/api/sessions/${id}`)).status).toBe(204);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(log)).toBe(false);
  });
});
