import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { link, mkdtemp, readdir, readFile, realpath, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type LockHeldError, StorageError, ValidationError } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FsOps, nodeFsOps } from "./fs-ops.ts";
import { FsStorage, type FsStorageOptions } from "./fs-storage.ts";
import { isProcessAlive, procState } from "./process-alive.ts";
import { FaultyFs } from "./testing/faulty-fs.ts";
import { LOCK_STALE_AFTER_MS, type LockWait, WriterLock } from "./writer-lock.ts";

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
async function openLocked(
  fs?: FsOps,
  options: Omit<FsStorageOptions, "fs" | "lock"> = {},
): Promise<FsStorage> {
  const storage = await FsStorage.open(dir, { ...options, ...(fs === undefined ? {} : { fs }), lock: true });
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
    // Refused at once despite the default wait: this process is the holder.
    const waits: LockWait[] = [];
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true, onLockWait: (w) => waits.push(w) }));
    expect(waits).toEqual([]);
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

  it("never takes over a lock of another host, even naming a dead pid (it waits, then refuses)", async () => {
    const pid = await deadPid();
    await writeLockJson({ pid, host: `not-${hostname()}`, acquired_at: "2025-01-01T12:00:00.000Z" });
    const before = await readLockJson();
    const waits: LockWait[] = [];
    const err = await lockHeldOf(
      FsStorage.open(dir, { lock: true, lockWaitMs: 300, onLockWait: (w) => waits.push(w) }),
    );
    expect(err.message).toBe(
      `storage directory is locked by pid ${pid} on not-${hostname()} since 2025-01-01T12:00:00.000Z`,
    );
    expect(waits.map((w) => w.holder)).toEqual([
      { pid, host: `not-${hostname()}`, acquired_at: "2025-01-01T12:00:00.000Z" },
    ]);
    expect(await readLockJson()).toEqual(before);
    expect(await strayFiles()).toEqual([]);
  });

  it("takes a lock of another host that its holder releases while we wait", async () => {
    await writeLockJson({ pid: 4242, host: `not-${hostname()}` });
    const waits: LockWait[] = [];
    const released = new Promise((resolve) => setTimeout(resolve, 300)).then(() => rm(lockPath));
    const storage = await openLocked(undefined, { lockWaitMs: 4_000, onLockWait: (w) => waits.push(w) });
    await released;
    expect(waits.map((w) => w.holder?.pid)).toEqual([4242]);
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).host).toBe(hostname());
  });

  it("refuses a lock wait that is not a finite number of ms ≥ 0, before writing anything", async () => {
    const missing = join(dir, "not-created");
    for (const lockWaitMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const err = await FsStorage.open(missing, { lock: true, lockWaitMs }).then(
        () => expect.unreachable(),
        (e: unknown) => e as ValidationError,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.code).toBe("validation_error");
    }
    expect(await readdir(dir)).toEqual([]);
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
      const err = await lockHeldOf(FsStorage.open(dir, { lock: true, lockWaitMs: 0 }));
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
  /**
   * A plain script, importing nothing from this repository, that takes `.lock` the way
   * `WriterLock` does and prints `locked <pid>`. It then lives `argv[3]` ms and exits leaving
   * the lock behind, as a killed writer would; `forever` (the default): until killed.
   */
  const HOLDER = `
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
const [lock, lifetime = "forever"] = process.argv.slice(2);
writeFileSync(lock, JSON.stringify({
  pid: process.pid,
  host: hostname(),
  acquired_at: new Date().toISOString(),
  token: randomBytes(16).toString("hex"),
}), { flag: "wx" });
process.stdout.write("locked " + process.pid + "\\n");
if (lifetime === "forever") setInterval(() => {}, 60_000);
else setTimeout(() => process.exit(0), Number(lifetime));
`;

  interface Holder {
    /** The spawned process: the holder itself, or the parent that never reaps it. */
    readonly child: ChildProcess;
    /** The holder's pid, as its lock names it. */
    readonly pid: number;
  }

  /**
   * Starts a holder and waits until it has the lock. `unreaped`: started by bash, which then
   * becomes `sleep` (exec keeps its pid), so the holder's parent never waits for it and an
   * exited holder stays a zombie until the test kills that sleep.
   */
  async function startHolder(lifetime = "forever", { unreaped = false } = {}): Promise<Holder> {
    const script = join(await tempDir("holder"), "hold-lock.mjs");
    await writeFile(script, HOLDER);
    const command = [process.execPath, script, lockPath, lifetime];
    const child = unreaped
      ? spawn("bash", ["-c", '"$@" & exec sleep 60', "holder-parent", ...command], {
          stdio: ["ignore", "pipe", "inherit"],
        })
      : spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    const [line] = (await once(child.stdout!, "data")) as [Buffer];
    const pid = Number(/^locked (\d+)\n$/.exec(line.toString())?.[1]);
    expect(pid, line.toString()).toBeGreaterThan(0);
    if (!unreaped) expect(pid).toBe(child.pid);
    return { child, pid };
  }

  it("is refused while the other process lives, and taken over after it is killed", async () => {
    const { child } = await startHolder();
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true, lockWaitMs: 0 }));
    expect(err.message).toMatch(new RegExp(`^storage directory is locked by pid ${child.pid} on `));
    expect(err.details).toMatchObject({ pid: child.pid, host: hostname() });

    child.kill("SIGKILL");
    await once(child, "exit");
    const storage = await openLocked();
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).pid).toBe(process.pid);
  });

  it("a zombie holder (exited, never reaped) holds nothing: taken over at once", async () => {
    const holder = await startHolder("0", { unreaped: true });
    // Its exit leaves it a zombie: `kill(pid, 0)` still succeeds on it.
    let state = procState(holder.pid);
    for (const started = Date.now(); state !== "Z" && Date.now() - started < 10_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = procState(holder.pid);
    }
    expect(state).toBe("Z");
    expect(() => process.kill(holder.pid, 0)).not.toThrow();
    expect(isProcessAlive(holder.pid)).toBe(false);
    expect((await readLockJson()).pid).toBe(holder.pid);

    const waits: LockWait[] = [];
    const storage = await openLocked(undefined, { lockWaitMs: 10_000, onLockWait: (w) => waits.push(w) });
    expect(waits, "it waited for a zombie").toEqual([]);
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).pid).toBe(process.pid);
    expect(procState(holder.pid)).toBe("Z"); // still unreaped: judged dead, not outlived
    expect(await strayFiles()).toEqual([]);
  });

  it("waits for a live holder that exits within the bound and takes over; a 0 ms wait refuses", async () => {
    const holder = await startHolder("1000");
    const err = await lockHeldOf(FsStorage.open(dir, { lock: true, lockWaitMs: 0 }));
    expect(err.details).toMatchObject({ pid: holder.pid, host: hostname() });

    const waits: LockWait[] = [];
    const storage = await openLocked(undefined, { lockWaitMs: 10_000, onLockWait: (w) => waits.push(w) });
    expect(isProcessAlive(holder.pid), "the lock was taken from a live holder").toBe(false);
    expect(storage.lockInfo?.pid).toBe(process.pid);
    expect((await readLockJson()).pid).toBe(process.pid);
    expect(waits).toHaveLength(1);
    expect(waits[0]!.holder?.pid).toBe(holder.pid);
    expect(waits[0]!.waitMs).toBe(10_000);
    expect(waits[0]!.message).toMatch(new RegExp(`\\bpid ${holder.pid}\\b`));
  });

  it("refuses a live holder that outlasts the wait, exactly as without waiting, after logging once", async () => {
    const holder = await startHolder();
    const before = await readLockJson();
    const waits: LockWait[] = [];
    const started = Date.now();
    const err = await lockHeldOf(
      FsStorage.open(dir, { lock: true, lockWaitMs: 500, onLockWait: (w) => waits.push(w) }),
    );
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(4_000);
    expect(err.message).toBe(
      `storage directory is locked by pid ${holder.pid} on ${hostname()} since ${before.acquired_at}`,
    );
    expect(err.details).toEqual({ pid: holder.pid, host: hostname(), acquired_at: before.acquired_at });
    expect(waits.map((w) => w.message)).toEqual([
      `waiting up to 500 ms for pid ${holder.pid} on ${hostname()}, which holds the storage directory lock, to exit or release it`,
    ]);
    expect(await readLockJson()).toEqual(before);
    expect(isProcessAlive(holder.pid)).toBe(true);
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
