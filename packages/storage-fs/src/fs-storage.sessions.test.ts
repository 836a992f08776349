import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionStore } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeFsOps } from "./fs-ops.ts";
import { FsStorage } from "./fs-storage.ts";
import { FaultyFs } from "./testing/faulty-fs.ts";

/**
 * Session messages on the real filesystem, with injected faults: a failed append (a short
 * write, a failed fdatasync) stores nothing and leaves no bytes that could glue onto the next
 * line; each message is one append + fdatasync on a handle opened and closed for it.
 */
let root: string;
let faulty: FaultyFs;
let storage: FsStorage;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "dawsos-sessions-")));
  faulty = new FaultyFs(nodeFsOps, { root });
  storage = await FsStorage.open(root, { fs: faulty, lock: true });
});

afterEach(async () => {
  await storage.close();
  await rm(root, { recursive: true, force: true });
});

describe("SessionStore over FsStorage", () => {
  it("a message is one append + fdatasync on the log, and the session file is not touched", async () => {
    const sessions = new SessionStore(storage);
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "first" });
    faulty.clearLog();
    await sessions.addMessage(id, { role: "user", content: "second" });
    const touched = faulty.log.filter((e) => ["open", "write", "datasync", "close", "rename"].includes(e.op));
    const log = `sessions/${id}.messages.jsonl`;
    expect(touched.map((e) => `${e.op} ${e.path}`)).toEqual([
      `open ${log}`,
      `write ${log}`,
      `datasync ${log}`,
      `close ${log}`,
    ]);
  });

  for (const fault of [
    { what: "a short write", rule: { op: "write", code: "ENOSPC", partial: true } },
    { what: "a failed fdatasync", rule: { op: "datasync", code: "EIO" } },
  ] as const) {
    it(`${fault.what} stores nothing and the next message lands cleanly`, async () => {
      const sessions = new SessionStore(storage);
      const { id } = await sessions.create();
      await sessions.addMessage(id, { role: "user", content: "kept" });
      faulty.failOn({ ...fault.rule, path: `sessions/${id}.messages.jsonl` });
      await expect(sessions.addMessage(id, { role: "user", content: "lost" })).rejects.toMatchObject({
        code: "storage_error",
      });
      await sessions.addMessage(id, { role: "assistant", content: "next" });
      expect((await sessions.get(id)).chat_history.map((m) => m.content)).toEqual(["kept", "next"]);
      const lines = (await readFile(join(root, "sessions", `${id}.messages.jsonl`), "utf8")).split("\n");
      expect(lines.map((l) => (l === "" ? "" : JSON.parse(l).content))).toEqual(["kept", "next", ""]);
    });
  }

  it("a short write whose clean-up also fails is cut off by the next append", async () => {
    const sessions = new SessionStore(storage);
    const { id } = await sessions.create();
    await sessions.addMessage(id, { role: "user", content: "kept" });
    const log = `sessions/${id}.messages.jsonl`;
    faulty.failOn({ op: "write", code: "ENOSPC", partial: true, path: log });
    faulty.failOn({ op: "truncate", code: "EIO", path: log });
    await expect(sessions.addMessage(id, { role: "user", content: "lost" })).rejects.toMatchObject({
      code: "storage_error",
    });
    // Half a line is on disk; readers ignore it, and the next append starts after "kept".
    expect((await sessions.get(id)).chat_history.map((m) => m.content)).toEqual(["kept"]);
    await sessions.addMessage(id, { role: "user", content: "next" });
    expect((await sessions.get(id)).chat_history.map((m) => m.content)).toEqual(["kept", "next"]);
    expect((await readFile(join(root, log), "utf8")).trim().split("\n")).toHaveLength(2);
  });
});
