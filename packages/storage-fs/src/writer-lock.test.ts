import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { link, mkdtemp, readdir, readFile, realpath, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type LockHeldError, StorageError } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FaultyFs } from "./faulty-fs.ts";
import { type FsOps, nodeFsOps } from "./fs-ops.ts";
import { FsStorage } from "./fs-storage.ts";
import { LOCK_STALE_AFTER_MS, WriterLock } from "./writer-lock.ts";

let dir: string;
let lockPath: string;
const scratch: string[] = [];
const opened: FsStorage[] = [];
const children: ChildProcess[] = [];

async function tempDir(tag: string): Promise<string> {
  const made = await realpath(await mkdtemp(join(tmpdir(), `dawsos-lock-${tag}-`)));
  scratch.push(made);
  return made;
}

/** Opens with the lock and closes it after the test. */
async function openLocked(fs?: FsOps): Promise<FsStorage> {
  const storage = await FsStorage.open(dir, fs === undefined ? { lock: true } : { fs, lock: true });
  opened.push(storage);
  return storage;
}

async function lockHeldOf(promise: Promise<unknown>): Promise<LockHeldError> {
  const err = await promise.then(
    () => expect.unreachable("expected lock_held"),
    (e: unknown) => e as LockHeldError,
  );
  expect(err.code).toBe("lock_held");
  return err;
}

interface LockJson {
  pid: number;
  host: string;
  acquired_at: string;
  token: string;
}

async function readLockJson(): Promise<LockJson> {
  return JSON.parse(await readFile(lockPath, "utf8")) as LockJson;
}

async function writeLockJson(lock: Partial<LockJson>): Promise<void> {
  await writeFile(
    lockPath,
    JSON.stringify({ acquired_at: "2025-01-01T12:00:00.000Z", token: "f".repeat(32), ...lock }),
  );
}

/** The pid of a process that has exited (and been reaped): no process has it now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "process.exit(0)"], { stdio: "ignore" });
  const pid = child.pid!;
  await once(child, "exit");
  return pid;
}

/** Files in the storage root other than `.lock` (moved-aside stale locks would show here). */
async function strayFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name !== ".lock");
}

beforeEach(async () => {
  dir = await tempDir("root");
  lockPath = join(dir, ".lock");
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  await Promise.all(scratch.splice(0).map((made) => rm(made, { recursive: true, force: true })));
});

describe("writer lock: acquire and release", () => {
  it("writes { pid, host, acquired_at, token } exclusively and durably, before any other write", async () => {
    const faulty = new FaultyFs(nodeFsOps, { root: dir });
    const storage = await openLocked(faulty);
    const writes = faulty.log.filter((e) => !["lstat", "realpath", "readdir", "mkdir"].includes(e.op));
    expect(writes.map((e) => `${e.op}${e.flags ? `(${e.flags})` : ""} ${e.path}`)).toEqual([
      "open(wx) .lock",
      "write .lock",
      "sync .lock",
      "close .lock",
      "syncDir .",
    ]);
    const lock = await readLockJson();
    expect(lock.pid).toBe(process.pid);
    expect(lock.host).toBe(hostname());
    expect(new Date(lock.acquired_at).toISOString()).toBe(lock.acquired_at);
    expect(lock.token).toMatch(/^[0-9a-f]{32}$/);
    expect(storage.lockInfo).toEqual({ pid: lock.pid, host: lock.host, acquired_at: lock.acquired_at });
    expect((await storage.list("")).map((o) => o.key)).toEqual([]); // .lock is never listed
  });

  it("refuses a second writer in this process, naming the holder; succeeds after close", async () => {
    const first = await FsStorage.open(dir, { lock: true });
    const holder = await readLockJson();
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true }));
    expect(err.message).toBe(
      `storage directory is locked by pid ${process.pid} on ${hostname()} since ${holder.acquired_at}`,
    );
    expect(err.details).toEqual({ pid: process.pid, host: hostname(), acquired_at: holder.acquired_at });
    expect(await readLockJson()).toEqual(holder); // the refused open changed nothing

    await first.close();
    await first.close(); // safe twice
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: "ENOENT" });
    const second = await openLocked();
    expect((await readLockJson()).token).not.toBe(holder.token);
    expect(second.lockInfo?.pid).toBe(process.pid);
  });

  it("of many concurrent opens in one process exactly one wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => FsStorage.open(dir, { lock: true })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "lock_held" });
    await (won[0] as PromiseFulfilledResult<FsStorage>).value.close();
  });

  it("refuses writes after close, which released the lock", async () => {
    const storage = await FsStorage.open(dir, { lock: true });
    await storage.put("graph.json", "{}");
    await storage.close();
    await expect(storage.put("graph.json", "late")).rejects.toBeInstanceOf(StorageError);
    await expect(storage.append("graph.journal", "late")).rejects.toBeInstanceOf(StorageError);
    await expect(storage.delete("graph.json")).rejects.toBeInstanceOf(StorageError);
    expect(await readFile(join(dir, "graph.json"), "utf8")).toBe("{}");
    expect(new TextDecoder().decode((await storage.get("graph.json"))!.body)).toBe("{}"); // reads still work
  });

  it("close waits for writes already called before releasing the lock", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let markReached!: () => void;
    const reached = new Promise<void>((resolve) => {
      markReached = resolve;
    });
    const stalling: FsOps = {
      ...nodeFsOps,
      async rename(from, to) {
        markReached(); // the put's temp file is written; its rename waits
        await released;
        return nodeFsOps.rename(from, to);
      },
    };
    const storage = await FsStorage.open(dir, { fs: stalling, lock: true });
    const put = storage.put("graph.json", "in flight");
    await reached;
    let closed = false;
    const closing = storage.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    expect((await readLockJson()).pid).toBe(process.pid); // still held while the put runs
    release();
    await Promise.all([put, closing]);
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readFile(join(dir, "graph.json"), "utf8")).toBe("in flight");
  });

  it("close leaves a lock file that no longer holds its token", async () => {
    const storage = await FsStorage.open(dir, { lock: true });
    const mine = await readLockJson();
    await writeLockJson({ ...mine, token: "0".repeat(32) });
    await storage.close();
    expect((await readLockJson()).token).toBe("0".repeat(32));
  });

  it("a lock file that cannot be written is removed again and reported as StorageError", async () => {
    const faulty = new FaultyFs(nodeFsOps, { root: dir });
    faulty.failOn({ op: "sync", path: ".lock", code: "ENOSPC" });
    const err = await FsStorage.open(dir, { fs: faulty, lock: true }).then(
      () => expect.unreachable(),
      (e: unknown) => e as StorageError,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect(err.message).not.toContain(dir);
    expect(await readdir(dir)).toEqual([]);
    await openLocked(); // nothing left to block the next writer
  });
});

describe("writer lock: stale locks", () => {
  it("takes over the lock of a dead process on this host", async () => {
    const pid = await deadPid();
    await writeLockJson({ pid, host: hostname() });
    const storage = await openLocked();
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).pid).toBe(process.pid);
    expect(await strayFiles()).toEqual([]); // the stale file moved aside is gone too
  });

  it("never takes over a lock of another host, even naming a dead pid", async () => {
    const pid = await deadPid();
    await writeLockJson({ pid, host: `not-${hostname()}`, acquired_at: "2025-01-01T12:00:00.000Z" });
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true }));
    expect(err.message).toBe(
      `storage directory is locked by pid ${pid} on not-${hostname()} since 2025-01-01T12:00:00.000Z`,
    );
    expect((await readLockJson()).host).toBe(`not-${hostname()}`);
  });

  it("takes over a lock with this pid taken before this process started; refuses one taken since", async () => {
    await writeLockJson({ pid: process.pid, host: hostname(), acquired_at: "2000-01-01T00:00:00.000Z" });
    const storage = await openLocked(); // an earlier process that had our pid (a restarted container)
    await storage.close();

    // Ours and recent, though no FsStorage here knows the token: another thread or module copy.
    await writeLockJson({ pid: process.pid, host: hostname(), acquired_at: new Date().toISOString() });
    await lockHeldOf(FsStorage.open(dir, { lock: true }));
  });

  it("treats an unreadable lock file as held while fresh and as stale once old", async () => {
    for (const content of ["", '{"pid": 12', "not json", '{"pid": 0, "host": "h"}']) {
      await writeFile(lockPath, content);
      const err = await lockHeldOf(FsStorage.open(dir, { lock: true }));
      expect(err.message).toMatch(/being written or is unreadable/);
      expect(err.details).toMatchObject({ pid: null, host: null, acquired_at: null });

      const old = (Date.now() - LOCK_STALE_AFTER_MS - 5_000) / 1000;
      await utimes(lockPath, old, old);
      const storage = await FsStorage.open(dir, { lock: true });
      expect((await readLockJson()).pid).toBe(process.pid);
      await storage.close();
    }
  });

  it("of writers racing to take over one stale lock, only one wins", async () => {
    const pid = await deadPid();
    const racers = 5;
    for (let round = 0; round < 20; round++) {
      await writeLockJson({ pid, host: hostname(), token: `${round}`.padStart(32, "0") });
      // Every racer has opened the stale lock to judge it before any of them goes on.
      let arrived = 0;
      let allArrived!: () => void;
      const barrier = new Promise<void>((resolve) => {
        allArrived = resolve;
      });
      const racerFs = (): FsOps => {
        let waited = false;
        return {
          ...nodeFsOps,
          async open(path, flags) {
            const handle = await nodeFsOps.open(path, flags);
            if (!waited && flags === "r" && path === lockPath) {
              waited = true;
              if (++arrived === racers) allArrived();
              await barrier;
            }
            return handle;
          },
        };
      };
      const results = await Promise.allSettled(
        Array.from({ length: racers }, () => FsStorage.open(dir, { fs: racerFs(), lock: true })),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<FsStorage>).value;
      expect(await strayFiles()).toEqual([]);
      await winner.close();
      await expect(readFile(lockPath)).rejects.toMatchObject({ code: "ENOENT" });
    }
  });

  it("a slow racer whose claim finds a fresh lock (another racer finished first) leaves it alone", async () => {
    await writeLockJson({ pid: await deadPid(), host: hostname() });
    // The slow writer reads the stale lock, then stalls right before claiming it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let markReached!: () => void;
    const reached = new Promise<void>((resolve) => {
      markReached = resolve;
    });
    const slowFs: FsOps = {
      ...nodeFsOps,
      async link(existing, newPath) {
        markReached();
        await released;
        return nodeFsOps.link(existing, newPath);
      },
    };
    const slow = FsStorage.open(dir, { fs: slowFs, lock: true });
    await reached;
    const fast = await openLocked(); // takes over the stale lock meanwhile
    const fastLock = await readLockJson();
    release();
    const err = await lockHeldOf(slow); // its claim named the fast writer's lock: not stale
    expect(err.details).toMatchObject({ pid: process.pid, acquired_at: fastLock.acquired_at });
    expect(await readLockJson()).toEqual(fastLock);
    expect(await strayFiles()).toEqual([]);
    expect(fast.lockInfo?.acquired_at).toBe(fastLock.acquired_at);
  });

  it("waits while another process holds the claim, and clears a claim abandoned by a crash", async () => {
    await writeLockJson({ pid: await deadPid(), host: hostname() });
    await link(lockPath, join(dir, ".lock.claim")); // a takeover in progress elsewhere
    const faulty = new FaultyFs(nodeFsOps, { root: dir });
    const started = Date.now();
    const lock = await WriterLock.acquire(faulty, dir, { staleAfterMs: 100 });
    // It waited (polling) until the claim was old enough to be abandoned, then took over.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(faulty.ops("link").length).toBeGreaterThan(1);
    expect((await readLockJson()).pid).toBe(process.pid);
    expect(await strayFiles()).toEqual([]);
    await lock.release();
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("hides and reserves the lock's file names", async () => {
    const storage = await openLocked();
    await writeFile(join(dir, ".lock.claim"), "x");
    expect(await storage.list("")).toEqual([]);
    for (const key of [".lock", ".lock.claim"]) {
      await expect(storage.put(key, "x"), key).rejects.toMatchObject({ code: "invalid_id" });
      await expect(storage.delete(key), key).rejects.toMatchObject({ code: "invalid_id" });
    }
    expect((await readLockJson()).pid).toBe(process.pid);
    await rm(join(dir, ".lock.claim"));
  });
});

describe("writer lock: a real second process", () => {
  /** A plain script, importing nothing from this repository, that holds `.lock` until killed. */
  const HOLDER = `
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
const lock = process.argv[2];
writeFileSync(lock, JSON.stringify({
  pid: process.pid,
  host: hostname(),
  acquired_at: new Date().toISOString(),
  token: randomBytes(16).toString("hex"),
}), { flag: "wx" });
process.stdout.write("locked\\n");
setInterval(() => {}, 60_000);
`;

  async function startHolder(): Promise<ChildProcess> {
    const script = join(await tempDir("holder"), "hold-lock.mjs");
    await writeFile(script, HOLDER);
    const child = spawn(process.execPath, [script, lockPath], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    const [line] = (await once(child.stdout!, "data")) as [Buffer];
    expect(line.toString()).toBe("locked\n");
    return child;
  }

  it("is refused while the other process lives, and taken over after it is killed", async () => {
    const child = await startHolder();
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true }));
    expect(err.message).toMatch(new RegExp(`^storage directory is locked by pid ${child.pid} on `));
    expect(err.details).toMatchObject({ pid: child.pid, host: hostname() });

    child.kill("SIGKILL");
    await once(child, "exit");
    const storage = await openLocked();
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).pid).toBe(process.pid);
  });

  it("a read-only open works while locked and removes no temp file", async () => {
    await startHolder();
    const deadTemp = `.graph.json.${await deadPid()}.0123456789abcdef.tmp`;
    await writeFile(join(dir, deadTemp), "partial");
    await writeFile(join(dir, "graph.json"), "{}");
    const reader = await FsStorage.open(dir);
    expect(reader.lockInfo).toBeUndefined();
    expect(new TextDecoder().decode((await reader.get("graph.json"))!.body)).toBe("{}");
    await reader.close();
    expect((await readdir(dir)).sort()).toEqual([deadTemp, ".lock", "graph.json"].sort());
  });
});
