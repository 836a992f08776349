import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { type DawsosError, GraphStore } from "@dawsos/core";
import { FsStorage } from "@dawsos/storage-fs";
import { afterEach, describe, expect, it } from "vitest";
import { CRASH_SEED, CRASH_STORE_OPTIONS, EXIT_LOCK_HELD } from "./fixtures.ts";
import {
  ChildWriter,
  checkRound,
  killAllChildren,
  makeTempDir,
  parseTranscript,
  removeTempDirs,
  withTimeout,
} from "./harness.ts";

async function lockHolderPid(dir: string): Promise<number> {
  return (JSON.parse(await readFile(join(dir, ".lock"), "utf8")) as { pid: number }).pid;
}

/**
 * The error of a locked open that must be refused (an unexpected success is closed, then fails
 * the test). Without waiting: the holder here lives until the test kills it.
 */
async function refusedOpen(dir: string): Promise<DawsosError> {
  const outcome = await FsStorage.open(dir, { lock: true, lockWaitMs: 0 }).then(
    async (storage) => {
      await storage.close();
      return null;
    },
    (err: unknown) => err as DawsosError,
  );
  if (outcome === null) throw new Error("a second writer was allowed to lock the directory");
  return outcome;
}

describe("two processes on one storage directory", () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    await killAllChildren();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await removeTempDirs();
  });

  it("a second writer is refused naming the holder's pid; read-only opens work; the lock is taken over after kill -9", async () => {
    const dir = await makeTempDir("hold");
    const holder = new ChildWriter(dir, "hold", "h");
    const ready = await holder.waitForLine((l) => l.startsWith("ready "), { timeoutMs: 20_000 });
    expect(ready, `the holder never got ready: ${holder.describe()}`).toBeGreaterThanOrEqual(0);
    expect(holder.lines[ready]).toBe(`ready ${holder.pid}`);

    // A second writer (this process) is refused, with the holder named.
    const err = await refusedOpen(dir);
    expect(err.code).toBe("lock_held");
    expect(err.message).toMatch(new RegExp(`\\bpid ${holder.pid}\\b`));
    expect(err.message).toContain(hostname());
    expect(err.details).toMatchObject({ pid: holder.pid, host: hostname() });

    // Reading works meanwhile, including the holder's journaled (not yet compacted) write.
    const reader = await FsStorage.open(dir);
    cleanups.push(() => reader.close());
    expect(reader.lockInfo).toBeUndefined();
    const readOnly = await GraphStore.open(reader, { ...CRASH_STORE_OPTIONS, readOnly: true });
    cleanups.push(() => readOnly.close());
    expect(readOnly.recovery).toBeNull();
    expect(readOnly.graph.getNode("h-held")?.data).toEqual({ pid: holder.pid });
    for (const id of Object.keys(CRASH_SEED.nodes)) expect(readOnly.graph.hasNode(id), id).toBe(true);
    await expect(readOnly.putNode("x", { type: "k" })).rejects.toMatchObject({ code: "read_only" });
    await readOnly.close();
    await reader.close();
    expect(await lockHolderPid(dir)).toBe(holder.pid);
    expect(holder.exited, "the holder must still be running").toBeNull();

    // Once the holder is dead, a locked open takes its lock over and finds everything.
    expect(await holder.kill()).toEqual({ code: null, signal: "SIGKILL" });
    const storage = await FsStorage.open(dir, { lock: true });
    cleanups.push(() => storage.close());
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect(await lockHolderPid(dir)).toBe(process.pid);
    const store = await GraphStore.open(storage, CRASH_STORE_OPTIONS);
    cleanups.push(() => store.close());
    expect(store.recovery).toBeNull();
    expect(store.graph.getNode("h-held")?.data).toEqual({ pid: holder.pid });
    expect((await store.verify()).ok).toBe(true);
    await store.close();
    await storage.close();
  });

  it("of two writers started at the same time on a fresh directory exactly one runs; the other exits naming it", async () => {
    const dir = await makeTempDir("race");
    const children = [new ChildWriter(dir, "put", "a"), new ChildWriter(dir, "put", "b")];
    const first = await withTimeout(
      Promise.race(children.map((child) => child.closed.then(() => child))),
      20_000,
      "neither writer exited: both may have taken the lock",
    );
    const loser = first;
    const winner = children.find((child) => child !== loser)!;

    expect(loser.exited, loser.describe()).toEqual({ code: EXIT_LOCK_HELD, signal: null });
    expect(loser.stderr).toMatch(
      new RegExp(`^lock_held: storage directory is locked by pid ${winner.pid} on \\S+ since `, "m"),
    );
    expect(loser.lines, "the refused writer wrote nothing").toEqual([]);

    expect(await winner.waitForAcks(5, 20_000), winner.describe()).toBe(true);
    expect(winner.lines).toContain(`ready ${winner.pid}`);
    expect(winner.exited, "the winner keeps running").toBeNull();
    expect(await lockHolderPid(dir)).toBe(winner.pid);

    await winner.kill();
    const storage = await FsStorage.open(dir, { lock: true });
    cleanups.push(() => storage.close());
    const store = await GraphStore.open(storage, CRASH_STORE_OPTIONS);
    cleanups.push(() => store.close());
    expect(store.recovery).toBeNull();
    const written = new Map(
      [...store.graph.nodes()].filter((n) => /^[ab]-/.test(n.id)).map((n) => [n.id, n]),
    );
    expect(checkRound(parseTranscript(winner.lines), written).problems).toEqual([]);
    expect([...written.keys()].every((id) => id.startsWith(winner === children[0] ? "a-" : "b-"))).toBe(true);
    await store.close();
    await storage.close();
  });
});
