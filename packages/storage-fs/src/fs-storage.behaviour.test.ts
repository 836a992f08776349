import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DawsosError, InvalidIdError, StorageError, ValidationError } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FsOps, nodeFsOps } from "./fs-ops.ts";
import { FsStorage } from "./fs-storage.ts";
import { type FaultCode, FaultyFs, type FsLogEntry, type FsOpName } from "./testing/faulty-fs.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const TEMP = /^\..+\.\d+\.[0-9a-f]{16}\.tmp$/;
/** Lookups that do not change anything; left out when asserting the write sequence. */
const LOOKUPS: FsOpName[] = ["lstat", "realpath", "readdir", "readFile"];

let root: string;
let faulty: FaultyFs;
let storage: FsStorage;
const scratch: string[] = [];

async function tempDir(tag: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `dawsos-fs-${tag}-`)));
  scratch.push(dir);
  return dir;
}

/** Every file name under `dir`, recursively, as `/`-separated relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/**
 * Real `FsOps` that pauses the first `open` or `write` on a path matching `match` until
 * `release()`: a deterministic way to interleave one operation with another.
 */
function gated(op: "open" | "write", match: RegExp) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markReached!: () => void;
  const reached = new Promise<void>((resolve) => {
    markReached = resolve;
  });
  let armed = true;
  const pauseIf = async (wanted: "open" | "write", path: string) => {
    if (wanted !== op || !armed || !match.test(path)) return;
    armed = false;
    markReached();
    await released;
  };
  const fs: FsOps = {
    ...nodeFsOps,
    async open(path, flags) {
      await pauseIf("open", path);
      const handle = await nodeFsOps.open(path, flags);
      return {
        ...handle,
        write: async (bytes) => {
          await pauseIf("write", path);
          return handle.write(bytes);
        },
      };
    },
  };
  return { fs, reached, release };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mutations(log: readonly FsLogEntry[]): FsLogEntry[] {
  return log.filter((entry) => !LOOKUPS.includes(entry.op));
}

/** Asserts a rejection is a StorageError caused by the injected errno `code`. */
async function expectStorageError(promise: Promise<unknown>, code: FaultCode): Promise<StorageError> {
  const err = await promise.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  const storageError = err as StorageError;
  expect(storageError.code).toBe("storage_error");
  expect((storageError.cause as NodeJS.ErrnoException).code).toBe(code);
  expect(storageError.message).not.toContain(root);
  expect(storageError.message).not.toContain(tmpdir());
  return storageError;
}

beforeEach(async () => {
  root = await tempDir("root");
  faulty = new FaultyFs(nodeFsOps, { root });
  storage = await FsStorage.open(root, { fs: faulty });
  faulty.clearLog();
});

afterEach(async () => {
  await storage.close();
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("FsStorage: the crash-safe write sequence", () => {
  it("replaces a file as open(tmp, wx) → write → fsync → close → rename → fsync(dir)", async () => {
    const key = "backups/20250101_120000/graph.json";
    await storage.put(key, "first");
    faulty.clearLog();

    await storage.put(key, "second");

    const log = mutations(faulty.log);
    expect(log.map((e) => e.op)).toEqual(["mkdir", "open", "write", "sync", "close", "rename", "syncDir"]);
    const [mkdirOp, open, write, sync, close, rename, syncDir] = log;
    const tmp = open!.path;
    expect(tmp.startsWith("backups/20250101_120000/.graph.json.")).toBe(true);
    expect(tmp.split("/").at(-1)).toMatch(TEMP);
    expect(mkdirOp!.path).toBe("backups/20250101_120000");
    expect(open!.flags).toBe("wx");
    expect(write).toMatchObject({ path: tmp, bytes: 6 });
    expect(sync!.path).toBe(tmp);
    expect(close!.path).toBe(tmp);
    expect(rename).toMatchObject({ path: tmp, to: key });
    expect(syncDir!.path).toBe("backups/20250101_120000");
    expect(text((await storage.get(key))!.body)).toBe("second");
    expect(await filesUnder(root)).toEqual([key]);
  });

  it("makes new parent directories durable before writing into them", async () => {
    await storage.put("backups/20250101_120000/manifest.json", "{}");
    const log = mutations(faulty.log).map((e) => `${e.op} ${e.path}`);
    expect(log.slice(0, 3)).toEqual(["mkdir backups/20250101_120000", "syncDir .", "syncDir backups"]);
    expect(log[3]).toMatch(/^open backups\/20250101_120000\/\.manifest\.json\..*\.tmp$/);
    expect(log.at(-1)).toBe("syncDir backups/20250101_120000");
  });

  it("writes top-level keys with a temp file in the root itself and no mkdir", async () => {
    await storage.put("graph.json", "{}");
    const log = mutations(faulty.log);
    expect(log.map((e) => e.op)).toEqual(["open", "write", "sync", "close", "rename", "syncDir"]);
    expect(log[0]!.path).toMatch(TEMP);
    expect(log.at(-1)!.path).toBe(".");
  });

  it("appends as open(a) → write → fdatasync → close, fsyncing the directory only for a new file", async () => {
    await storage.append("graph.journal", "one\n");
    expect(mutations(faulty.log).map((e) => `${e.op}${e.flags ? `(${e.flags})` : ""} ${e.path}`)).toEqual([
      "open(a) graph.journal",
      "write graph.journal",
      "datasync graph.journal",
      "close graph.journal",
      "syncDir .",
    ]);
    faulty.clearLog();
    await storage.append("graph.journal", "two\n");
    expect(mutations(faulty.log).map((e) => e.op)).toEqual(["open", "write", "datasync", "close"]);
    expect(await readFile(join(root, "graph.journal"), "utf8")).toBe("one\ntwo\n");
  });

  it("runs writes to one key one at a time, in call order", async () => {
    const gate = gated("write", /\.k\.json\.\d+\.[0-9a-f]+\.tmp$/);
    const ordered = await FsStorage.open(root, { fs: gate.fs });
    const first = ordered.put("k.json", "first");
    await gate.reached;
    const second = ordered.put("k.json", "second");
    await sleep(50); // room for the second put to overtake, were it not queued
    gate.release();
    await Promise.all([first, second]);
    expect(text((await ordered.get("k.json"))!.body)).toBe("second");

    const appendGate = gated("write", /graph\.journal$/);
    const appender = await FsStorage.open(root, { fs: appendGate.fs });
    const a = appender.append("graph.journal", "a\n");
    await appendGate.reached;
    const b = appender.append("graph.journal", "b\n");
    await sleep(50);
    appendGate.release();
    await Promise.all([a, b]);
    expect(await readFile(join(root, "graph.journal"), "utf8")).toBe("a\nb\n");
  });

  it("keeps many concurrent appends to one key in call order", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    await Promise.all(lines.map((line) => storage.append("j/graph.journal", line)));
    expect(text((await storage.get("j/graph.journal"))!.body)).toBe(lines.join(""));
  });
});

describe("FsStorage: faults", () => {
  const cases: { op: FsOpName; code: FaultCode }[] = [
    { op: "open", code: "EACCES" },
    { op: "write", code: "ENOSPC" },
    { op: "sync", code: "EIO" },
    { op: "close", code: "EIO" },
    { op: "rename", code: "EIO" },
  ];
  for (const { op, code } of cases) {
    it(`a put whose ${op} fails with ${code} rejects, keeps the old body and leaves no temp file`, async () => {
      await storage.put("cache/fred/GDP.json", "old body");
      faulty.failOn({ op, code });

      const err = await expectStorageError(storage.put("cache/fred/GDP.json", "new body"), code);
      expect(err.message).toContain("cache/fred/GDP.json");
      expect(faulty.log.filter((e) => e.injected === code).map((e) => e.op)).toEqual([op]);

      expect(text((await storage.get("cache/fred/GDP.json"))!.body)).toBe("old body");
      expect(await filesUnder(root)).toEqual(["cache/fred/GDP.json"]);

      faulty.clearFaults();
      await storage.put("cache/fred/GDP.json", "newer body");
      expect(text((await storage.get("cache/fred/GDP.json"))!.body)).toBe("newer body");
      expect(await filesUnder(root)).toEqual(["cache/fred/GDP.json"]);
    });
  }

  it("a put whose directory fsync fails rejects (the change is not known to be durable)", async () => {
    await storage.put("graph.json", "old");
    faulty.failOn({ op: "syncDir", code: "EIO" });
    await expectStorageError(storage.put("graph.json", "new"), "EIO");
    expect(await filesUnder(root)).toEqual(["graph.json"]);
  });

  it("a put that cannot create its directory rejects with the cause", async () => {
    faulty.failOn({ op: "mkdir", code: "ENOSPC" });
    await expectStorageError(storage.put("sessions/s1.json", "{}"), "ENOSPC");
    expect(await filesUnder(root)).toEqual([]);
  });

  it("sticky faults fail every matching operation until cleared; nth picks the n-th", async () => {
    faulty.failOn({ op: "sync", code: "EIO", sticky: true });
    await expectStorageError(storage.put("a.json", "1"), "EIO");
    await expectStorageError(storage.put("b.json", "2"), "EIO");
    faulty.clearFaults();
    await storage.put("a.json", "1");

    faulty.failOn({ op: "rename", nth: 2, code: "ENOSPC" });
    await storage.put("c.json", "3");
    await expectStorageError(storage.put("d.json", "4"), "ENOSPC");
    await storage.put("e.json", "5"); // not sticky: only the second rename failed
    expect(await filesUnder(root)).toEqual(["a.json", "c.json", "e.json"]);
  });

  it("an append whose fdatasync fails rejects with the cause", async () => {
    faulty.failOn({ op: "datasync", code: "EIO" });
    await expectStorageError(storage.append("graph.journal", "x\n"), "EIO");
    faulty.clearFaults();
    await storage.append("graph.journal", "y\n");
  });

  it("reads, deletes and lists report EIO as StorageError with the cause", async () => {
    await storage.put("graph.json", "{}");
    faulty.failOn({ op: "readFile", code: "EIO" });
    await expectStorageError(storage.get("graph.json"), "EIO");
    faulty.failOn({ op: "unlink", code: "EIO" });
    await expectStorageError(storage.delete("graph.json"), "EIO");
    faulty.failOn({ op: "readdir", code: "EIO" });
    await expectStorageError(storage.list(""), "EIO");
    faulty.failOn({ op: "lstat", code: "EACCES" });
    await expectStorageError(storage.get("graph.json"), "EACCES");
    expect(text((await storage.get("graph.json"))!.body)).toBe("{}");
  });

  it("open reports an unusable directory as StorageError without the path in the message", async () => {
    const file = join(await tempDir("file"), "not-a-dir");
    await writeFile(file, "x");
    const err = await FsStorage.open(join(file, "storage")).then(
      () => expect.unreachable(),
      (e: unknown) => e as StorageError,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    expect(err.message).not.toContain(file);
  });
});

describe("FsStorage: readers never see a torn file", () => {
  it("every get during 20 concurrent 1 MB replaces returns one whole body", async () => {
    const size = 1 << 20;
    const body = (fill: number) => new Uint8Array(size).fill(fill);
    await storage.put("graph.json", body(0));
    let writing = true;
    const puts = Promise.all(
      Array.from({ length: 20 }, (_, i) => storage.put("graph.json", body(i + 1))),
    ).finally(() => {
      writing = false;
    });
    const seen = new Set<number>();
    let reads = 0;
    while (writing || reads < 20) {
      const got = (await storage.get("graph.json"))!;
      reads++;
      const first = got.body[0]!;
      expect(got.body.length).toBe(size);
      expect(got.body.every((b) => b === first)).toBe(true);
      expect(first).toBeLessThanOrEqual(20);
      seen.add(first);
    }
    await puts;
    expect(reads).toBeGreaterThanOrEqual(20);
    expect((await storage.get("graph.json"))!.body[0]).toBe(20); // same-key writes land in call order
    expect(await filesUnder(root)).toEqual(["graph.json"]);
  });
});

describe("FsStorage: stale temp files", () => {
  const deadPid = 99_999_999; // above any pid_max: no such process
  const stale = [
    `.graph.json.${deadPid}.0123456789abcdef.tmp`,
    `backups/20250101_120000/.manifest.json.${deadPid}.fedcba9876543210.tmp`,
    // This process, but no write in flight: a leftover of an earlier process with our pid.
    `cache/fred/.GDP.json.${process.pid}.00112233445566ff.tmp`,
  ];
  const kept = [
    "graph.json",
    "notes.tmp",
    "backups/20250101_120000/graph.json",
    ".graph.json.1.0123456789abcdef.tmp", // pid 1 is alive: a running writer's file
    ".graph.json.12.short.tmp",
    "cache/fred/GDP.json",
  ];
  async function seed(): Promise<string> {
    const dir = await tempDir("stale");
    for (const file of [...stale, ...kept]) {
      await mkdir(join(dir, file, ".."), { recursive: true });
      await writeFile(join(dir, file), file);
    }
    return dir;
  }

  it("a locked open removes temp files of dead writers at every depth and nothing else", async () => {
    const dir = await seed();
    const locked = await FsStorage.open(dir, { lock: true });
    expect(await filesUnder(dir)).toEqual([".lock", ...kept].sort());
    for (const file of kept) expect(await readFile(join(dir, file), "utf8")).toBe(file);
    await locked.close();
    expect(await filesUnder(dir)).toEqual([...kept].sort());
  });

  it("an open without the lock removes no temp file: a live writer may own them", async () => {
    const dir = await seed();
    const writer = await FsStorage.open(dir, { lock: true }); // removes the stale ones
    for (const file of stale) await writeFile(join(dir, file), file); // a live writer's, now
    await FsStorage.open(dir);
    expect(await filesUnder(dir)).toEqual([".lock", ...stale, ...kept].sort());
    await writer.close();
  });

  it("cleans up only after taking the lock, and not at all when the lock is held", async () => {
    const dir = await seed();
    const tracing = new FaultyFs(nodeFsOps, { root: dir });
    const writer = await FsStorage.open(dir, { fs: tracing, lock: true });
    const ops = tracing.log.map((e) => `${e.op} ${e.path}`);
    const locked = ops.indexOf("open .lock");
    expect(locked).toBeGreaterThanOrEqual(0);
    expect(ops.findIndex((op) => op.startsWith("unlink "))).toBeGreaterThan(locked);

    for (const file of stale) await writeFile(join(dir, file), file);
    tracing.clearLog();
    await expect(FsStorage.open(dir, { fs: tracing, lock: true })).rejects.toMatchObject({
      code: "lock_held",
    });
    expect(tracing.ops("unlink", "readdir")).toEqual([]);
    expect(await filesUnder(dir)).toEqual([".lock", ...stale, ...kept].sort());
    await writer.close();
  });

  it("a second FsStorage in this process leaves the first one's in-flight temp file alone", async () => {
    const gate = gated("write", /\.graph\.json\.\d+\.[0-9a-f]+\.tmp$/);
    const writer = await FsStorage.open(root, { fs: gate.fs });
    const put = writer.put("graph.json", "in flight");
    await gate.reached;
    const locked = await FsStorage.open(root, { lock: true }); // runs the stale-temp cleanup
    gate.release();
    await put;
    await locked.close();
    expect(await readFile(join(root, "graph.json"), "utf8")).toBe("in flight");
  });

  it("keys shaped like temp files are refused, so stored data is never mistaken for one", async () => {
    await expect(storage.put(`.graph.json.${99_999_999}.0123456789abcdef.tmp`, "x")).rejects.toBeInstanceOf(
      InvalidIdError,
    );
    await expect(storage.get(`a/.b.1.0123456789abcdef.tmp`)).rejects.toMatchObject({ code: "invalid_id" });
    await storage.put("notes.tmp", "ordinary");
    expect((await storage.list("")).map((o) => o.key)).toEqual(["notes.tmp"]);
  });
});

describe("FsStorage: keys stay inside the root", () => {
  it("rejects escaping keys before any filesystem operation", async () => {
    for (const bad of [
      "../x",
      "a/../../x",
      "/etc/passwd",
      `${root}/graph.json`,
      "x\u0000y",
      "a\\..\\b",
      "",
    ]) {
      await expect(storage.put(bad, "x"), bad).rejects.toBeInstanceOf(InvalidIdError);
      await expect(storage.get(bad), bad).rejects.toBeInstanceOf(InvalidIdError);
      await expect(storage.delete(bad), bad).rejects.toBeInstanceOf(InvalidIdError);
      await expect(storage.append(bad, "x"), bad).rejects.toBeInstanceOf(InvalidIdError);
    }
    for (const bad of ["../", "/etc/", "a/../", "x\u0000"]) {
      await expect(storage.list(bad), bad).rejects.toBeInstanceOf(InvalidIdError);
    }
    expect(faulty.log).toEqual([]);
  });

  it("refuses to read, write, append or delete through a symlink pointing outside", async () => {
    const outside = await tempDir("outside");
    const canary = join(outside, "canary.json");
    await writeFile(canary, "canary");
    await symlink(outside, join(root, "escape"));
    await symlink(canary, join(root, "link.json"));
    await symlink(join(outside, "absent.json"), join(root, "dangling.json"));
    await mkdir(join(root, "cache"));
    await symlink(outside, join(root, "cache", "fred"));

    const attempts: [string, () => Promise<unknown>][] = [];
    for (const key of ["escape/canary.json", "link.json", "cache/fred/canary.json", "escape/new.json"]) {
      attempts.push([`get ${key}`, () => storage.get(key)]);
      attempts.push([`put ${key}`, () => storage.put(key, "pwned")]);
      attempts.push([`append ${key}`, () => storage.append(key, "pwned")]);
      attempts.push([`delete ${key}`, () => storage.delete(key)]);
    }
    attempts.push(["append dangling.json", () => storage.append("dangling.json", "pwned")]);
    attempts.push(["put dangling.json", () => storage.put("dangling.json", "pwned")]);
    for (const [what, attempt] of attempts) {
      const err = await attempt().then(
        () => expect.unreachable(what),
        (e: unknown) => e as DawsosError,
      );
      expect(err, what).toBeInstanceOf(InvalidIdError);
      expect(err.message, what).not.toContain(outside);
      expect(err.message, what).not.toContain(root);
    }

    expect(await readFile(canary, "utf8")).toBe("canary");
    expect(await filesUnder(outside)).toEqual(["canary.json"]);
    expect((await lstat(join(root, "link.json"))).isSymbolicLink()).toBe(true);
    // Listing does not follow symlinks either.
    expect(await storage.list("")).toEqual([]);
    expect(await storage.list("escape/")).toEqual([]);
    expect(await storage.list("cache/fred/")).toEqual([]);
  });

  it("follows a symlink that stays inside the root", async () => {
    await storage.put("real/data.json", "inside");
    await symlink(join(root, "real"), join(root, "alias"));
    expect(text((await storage.get("alias/data.json"))!.body)).toBe("inside");
  });

  it("opens a storage directory reached through a symlink", async () => {
    const target = await tempDir("target");
    const linkDir = await tempDir("linkdir");
    await symlink(target, join(linkDir, "storage"));
    const viaLink = await FsStorage.open(join(linkDir, "storage"));
    await viaLink.put("graph.json", "{}");
    expect(await readFile(join(target, "graph.json"), "utf8")).toBe("{}");
  });
});

describe("FsStorage: files and directories", () => {
  it("returns the etag of put from get, and a different one for different bytes", async () => {
    const first = await storage.put("k.json", "one");
    expect((await storage.get("k.json"))!.etag).toBe(first.etag);
    const second = await storage.put("k.json", "two");
    expect(second.etag).not.toBe(first.etag);
    expect((await storage.get("k.json"))!.etag).toBe(second.etag);
  });

  it("treats a directory or a path through a file as missing", async () => {
    await storage.put("backups/20250101_120000/graph.json", "{}");
    expect(await storage.get("backups/20250101_120000")).toBeNull();
    expect(await storage.get("backups")).toBeNull();
    expect(await storage.delete("backups/20250101_120000")).toBe(false);
    expect(await storage.get("backups/20250101_120000/graph.json/x")).toBeNull();
    expect(await storage.delete("backups/20250101_120000/graph.json/x")).toBe(false);
    expect(await filesUnder(root)).toEqual(["backups/20250101_120000/graph.json"]);
  });

  it("removes directories left empty by delete, up to but not including the root", async () => {
    await storage.put("backups/20250101_120000/graph.json", "{}");
    await storage.put("backups/20250101_120000/manifest.json", "{}");
    await storage.put("backups/20250102_120000/graph.json", "{}");
    expect(await storage.delete("backups/20250101_120000/graph.json")).toBe(true);
    expect(await readdir(join(root, "backups"))).toEqual(["20250101_120000", "20250102_120000"]);
    expect(await storage.delete("backups/20250101_120000/manifest.json")).toBe(true);
    expect(await readdir(join(root, "backups"))).toEqual(["20250102_120000"]);
    expect(await storage.delete("backups/20250102_120000/graph.json")).toBe(true);
    expect(await readdir(root)).toEqual([]);
    expect((await lstat(root)).isDirectory()).toBe(true);
  });

  it("does not remove a directory a put is about to write into", async () => {
    const gate = gated("open", /\.b\.json\.\d+\.[0-9a-f]+\.tmp$/);
    const gatedStorage = await FsStorage.open(root, { fs: gate.fs });
    await gatedStorage.put("d/e/a.json", "a");
    const put = gatedStorage.put("d/e/b.json", "b"); // directory made, temp file not yet opened
    await gate.reached;
    expect(await gatedStorage.delete("d/e/a.json")).toBe(true); // leaves d/e empty for a moment
    gate.release();
    await put;
    expect(text((await gatedStorage.get("d/e/b.json"))!.body)).toBe("b");
    expect(await filesUnder(root)).toEqual(["d/e/b.json"]);
  });

  it("never loses a put into a directory whose last file is being deleted", async () => {
    for (let i = 0; i < 40; i++) {
      await storage.put("d/e/a.json", "a");
      await Promise.all([storage.delete("d/e/a.json"), storage.put("d/e/b.json", `b${i}`)]);
      expect(text((await storage.get("d/e/b.json"))!.body)).toBe(`b${i}`);
      expect(await storage.delete("d/e/b.json")).toBe(true);
    }
  });

  it("lists only the subtree a prefix can match, hiding .lock and temp files", async () => {
    await storage.put("cache/fred/GDP.json", "12");
    await storage.put("cache/fred/CPI.json", "123");
    await storage.put("cache/quotes/AAPL.json", "1");
    await storage.put("graph.json", "{}");
    await writeFile(join(root, ".lock"), "pid");
    await writeFile(join(root, "cache", "fred", ".GDP.json.1.0123456789abcdef.tmp"), "partial");
    faulty.clearLog();

    expect((await storage.list("cache/fred/")).map(({ key, size }) => ({ key, size }))).toEqual([
      { key: "cache/fred/CPI.json", size: 3 },
      { key: "cache/fred/GDP.json", size: 2 },
    ]);
    expect(faulty.ops("readdir").map((e) => e.path)).toEqual(["cache/fred"]);

    faulty.clearLog();
    expect((await storage.list("cache/q")).map((o) => o.key)).toEqual(["cache/quotes/AAPL.json"]);
    expect(faulty.ops("readdir").map((e) => e.path)).toEqual(["cache", "cache/quotes"]);

    expect((await storage.list("")).map((o) => o.key)).toEqual([
      "cache/fred/CPI.json",
      "cache/fred/GDP.json",
      "cache/quotes/AAPL.json",
      "graph.json",
    ]);
    expect(await storage.list("graph.json/")).toEqual([]);
  });

  it("refuses conditional writes, which it does not declare", async () => {
    await expect(storage.put("a.json", "x", { ifNoneMatch: "*" })).rejects.toBeInstanceOf(ValidationError);
    await expect(storage.put("a.json", "x", { ifMatch: "e" })).rejects.toMatchObject({
      code: "validation_error",
    });
    expect(await storage.get("a.json")).toBeNull();
  });

  it("close is safe to call twice", async () => {
    await storage.close();
    await storage.close();
  });
});
