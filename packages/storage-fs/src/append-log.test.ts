import { constants } from "node:fs";
import { mkdtemp, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidIdError, StorageError, ValidationError } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FsOps, nodeFsOps } from "./fs-ops.ts";
import { FsStorage } from "./fs-storage.ts";
import { type FaultRule, FaultyFs } from "./testing/faulty-fs.ts";

const encode = (s: string) => new TextEncoder().encode(s);

let root: string;
let faulty: FaultyFs;
let storage: FsStorage;
const scratch: string[] = [];

async function tempDir(tag: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `dawsos-log-${tag}-`)));
  scratch.push(dir);
  return dir;
}

/** The rejection of `promise`, asserted to be a StorageError. */
async function storageErrorOf(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

const journal = () => readFile(join(root, "graph.journal"), "utf8");

beforeEach(async () => {
  root = await tempDir("root");
  faulty = new FaultyFs(nodeFsOps, { root });
  storage = await FsStorage.open(root, { fs: faulty, lock: true });
  faulty.clearLog();
});

afterEach(async () => {
  await storage.close();
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("FsAppendLog: appends", () => {
  it("appends in call order; a reopened log sees every byte and the right size", async () => {
    const log = await storage.openAppendLog("graph.journal");
    expect(log.size).toBe(0);
    await log.append(encode("one\n"), { sync: true });
    await log.append(encode("two\n"));
    expect(log.size).toBe(8);
    await log.sync();
    await log.close();
    expect(await journal()).toBe("one\ntwo\n");

    const reopened = await storage.openAppendLog("graph.journal");
    expect(reopened.size).toBe(8);
    await reopened.append(encode("three\n"), { sync: true });
    expect(reopened.size).toBe(14);
    await reopened.close();
    expect(await journal()).toBe("one\ntwo\nthree\n");
  });

  it("keeps one handle: a synced append is write → fdatasync, an unsynced one a lone write", async () => {
    const log = await storage.openAppendLog("graph.journal");
    expect(faulty.log.filter((e) => e.op === "open").map((e) => e.flags)).toEqual(["a+"]);
    faulty.clearLog();
    await log.append(encode("a\n"), { sync: true });
    await log.append(encode("b\n"), { sync: true });
    expect(faulty.log.map((e) => `${e.op} ${e.path}`)).toEqual([
      "write graph.journal",
      "datasync graph.journal",
      "write graph.journal",
      "datasync graph.journal",
    ]);
    faulty.clearLog();
    await log.append(encode("c\n"));
    expect(faulty.log.map((e) => e.op)).toEqual(["write"]);
    await log.close();
    expect(await journal()).toBe("a\nb\nc\n");
  });

  it("creates a missing file and its directories durably before resolving", async () => {
    const log = await storage.openAppendLog("journals/graph.journal");
    expect(
      faulty.log.filter((e) => !["lstat", "realpath"].includes(e.op)).map((e) => `${e.op} ${e.path}`),
    ).toEqual([
      "mkdir journals",
      "syncDir .", // the new directory's entry
      "open journals/graph.journal",
      "stat journals/graph.journal",
      "syncDir journals", // the new file's entry, before any append is acknowledged
    ]);
    await log.close();

    faulty.clearLog();
    const existing = await storage.openAppendLog("journals/graph.journal");
    expect(faulty.ops("syncDir")).toEqual([]); // nothing new to make durable
    await existing.close();
  });

  it("lands 200 concurrent appends whole and in call order", async () => {
    const log = await storage.openAppendLog("graph.journal");
    // Records from 10 bytes to ~100 KB, each a repeated tag, so interleaving would show.
    const records = Array.from(
      { length: 200 },
      (_, i) => `<${i}:${String(i % 10).repeat((i * 509) % 100_000)}>\n`,
    );
    await Promise.all(records.map((r, i) => log.append(encode(r), { sync: i % 7 === 0 })));
    expect(log.size).toBe(records.reduce((n, r) => n + r.length, 0));
    await log.close();
    expect(await journal()).toBe(records.join(""));
  });

  it("copies the bytes at call time, so callers may reuse their buffer", async () => {
    const log = await storage.openAppendLog("graph.journal");
    const buffer = encode("first\n");
    const pending = log.append(buffer);
    buffer.set(encode("XXXXX\n"));
    await pending;
    await log.close();
    expect(await journal()).toBe("first\n");
  });
});

describe("FsAppendLog: durable appends through an O_DSYNC descriptor", () => {
  /** nodeFsOps with every handle call of `graph.journal` counted by kind. */
  function countingFs(calls: string[]): FsOps {
    return {
      ...nodeFsOps,
      async open(path, flags) {
        const handle = await nodeFsOps.open(path, flags);
        if (!path.endsWith("graph.journal")) return handle;
        const counted = (name: string, fn: (...args: never[]) => Promise<unknown>) =>
          (async (...args: never[]) => {
            calls.push(name);
            return fn(...args);
          }) as never;
        return {
          ...handle,
          write: counted("write", handle.write),
          datasync: counted("datasync", handle.datasync),
          ...(handle.writeDurably ? { writeDurably: counted("writeDurably", handle.writeDurably) } : {}),
        };
      },
    };
  }

  it.runIf(process.platform === "linux")(
    "opens the journal a second time, O_DSYNC | O_APPEND on the same file, on its first durable write only",
    async () => {
      const dir = await tempDir("dsync");
      const own = await FsStorage.open(dir, { lock: true });
      const path = join(dir, "graph.journal");
      const descriptorsOf = async () => {
        const out: number[] = [];
        for (const fd of await readdir("/proc/self/fd")) {
          const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
          if (target === path) out.push(Number(fd));
        }
        return out;
      };
      const flagsOf = (fds: number[]) =>
        Promise.all(
          fds.map(async (fd) => {
            const info = await readFile(`/proc/self/fdinfo/${fd}`, "utf8");
            return Number.parseInt(/^flags:\s+([0-7]+)/m.exec(info)![1]!, 8);
          }),
        );
      try {
        const log = await own.openAppendLog("graph.journal");
        expect(await descriptorsOf()).toHaveLength(1);
        await log.append(encode("a\n"), { sync: true });
        const fds = await descriptorsOf();
        expect(fds).toHaveLength(2);
        const dsync = (await flagsOf(fds)).filter((f) => (f & constants.O_DSYNC) !== 0);
        expect(dsync).toHaveLength(1);
        expect(dsync[0]! & constants.O_APPEND).toBe(constants.O_APPEND);
        await log.append(encode("b\n"), { sync: true });
        await log.close();
        expect(await descriptorsOf()).toEqual([]);

        // One durable append to a non-empty file (a session's message log) is write + fdatasync:
        // no second descriptor is opened for it.
        const once = await own.openAppendLog("graph.journal");
        await once.append(encode("c\n"), { sync: true });
        expect(await descriptorsOf()).toHaveLength(1);
        await once.close();
        expect(await readFile(path, "utf8")).toBe("a\nb\nc\n");
      } finally {
        await own.close();
      }
    },
  );

  it("a synced append is one durable write; after an unsynced one, or on a non-empty file, write → fdatasync", async () => {
    const dir = await tempDir("dsync-calls");
    const calls: string[] = [];
    const own = await FsStorage.open(dir, { fs: countingFs(calls), lock: true });
    try {
      const log = await own.openAppendLog("graph.journal");
      await log.append(encode("a\n"), { sync: true });
      await log.append(encode("b\n"), { sync: true });
      expect(calls.splice(0)).toEqual(["writeDurably", "writeDurably"]);
      // Bytes written without a sync are not covered by a later O_DSYNC write of other bytes.
      await log.append(encode("c\n"));
      await log.append(encode("d\n"), { sync: true });
      await log.append(encode("e\n"), { sync: true });
      expect(calls.splice(0)).toEqual(["write", "write", "datasync", "writeDurably"]);
      await log.close();

      // A reopened log may sit on bytes a killed writer left in the page cache, unsynced.
      const reopened = await own.openAppendLog("graph.journal");
      await reopened.append(encode("f\n"), { sync: true });
      await reopened.append(encode("g\n"), { sync: true });
      expect(calls.splice(0)).toEqual(["write", "datasync", "writeDurably"]);
      await reopened.close();
      expect(await readFile(join(dir, "graph.journal"), "utf8")).toBe("a\nb\nc\nd\ne\nf\ng\n");
    } finally {
      await own.close();
    }
  });

  it("FaultyFs passes the durable write through, logged and failing as write → fdatasync", async () => {
    const path = join(root, "other.log");
    const handle = await faulty.open(path, "a+");
    expect(handle.writeDurably).toBeTypeOf("function");
    faulty.clearLog();
    await handle.writeDurably!(encode("one\n"));
    faulty.failOn({ op: "datasync", code: "EIO" });
    await expect(handle.writeDurably!(encode("two\n"))).rejects.toMatchObject({
      code: "EIO",
      syscall: "fdatasync",
    });
    expect(faulty.log.map((e) => e.op)).toEqual(["write", "datasync", "write", "datasync"]);
    await handle.close();
    // The failed sync's bytes reached the file (the page cache): what a caller must cut back.
    expect(await readFile(path, "utf8")).toBe("one\ntwo\n");
  });
});

describe("FsAppendLog: failures", () => {
  const failures: { what: string; rule: FaultRule }[] = [
    {
      what: "a write that fails halfway",
      rule: { op: "write", code: "EIO", partial: true, path: "graph.journal" },
    },
    { what: "a failed fdatasync", rule: { op: "datasync", code: "EIO", path: "graph.journal" } },
    { what: "a full disk", rule: { op: "write", code: "ENOSPC", partial: true, path: "graph.journal" } },
  ];
  for (const { what, rule } of failures) {
    it(`after ${what}: rejects, keeps size, refuses appends until truncate, keeps only good records`, async () => {
      const log = await storage.openAppendLog("graph.journal");
      await log.append(encode("good 1\n"), { sync: true });
      const size = log.size;

      faulty.failOn(rule);
      const err = await storageErrorOf(log.append(encode("failed record\n"), { sync: true }));
      expect((err.cause as NodeJS.ErrnoException).code).toBe(rule.code);
      expect(err.message).toContain("graph.journal");
      expect(err.message).not.toContain(root);
      expect(log.size).toBe(size);
      // Some bytes of the failed record did reach the file: exactly what truncate must cut.
      expect((await journal()).length).toBeGreaterThan(size);

      faulty.clearFaults();
      const refused = await storageErrorOf(log.append(encode("good 2\n"), { sync: true }));
      expect(refused.message).toMatch(/unconfirmed bytes; truncate first/);
      expect(log.size).toBe(size);

      await log.truncate(log.size);
      expect(await journal()).toBe("good 1\n");
      await log.append(encode("good 2\n"), { sync: true });
      await log.close();
      expect(await journal()).toBe("good 1\ngood 2\n");
    });
  }

  it("refuses an append queued behind a failing one (it must not become durable after it)", async () => {
    const log = await storage.openAppendLog("graph.journal");
    faulty.failOn({ op: "datasync", code: "EIO" });
    const first = log.append(encode("a\n"), { sync: true });
    const second = log.append(encode("b\n"), { sync: true });
    await storageErrorOf(first);
    await storageErrorOf(second);
    await log.truncate(0);
    await log.close();
    expect(await journal()).toBe("");
  });

  it("truncates durably (ftruncate → fdatasync); a failed truncate leaves the log dirty", async () => {
    const log = await storage.openAppendLog("graph.journal");
    await log.append(encode("keep\n"));
    await log.append(encode("drop\n"));
    faulty.clearLog();
    await log.truncate(5);
    expect(faulty.log.map((e) => e.op)).toEqual(["truncate", "datasync"]);
    expect(faulty.log[0]!.length).toBe(5);
    expect(log.size).toBe(5);
    expect(await journal()).toBe("keep\n");

    faulty.failOn({ op: "write", code: "EIO", partial: true });
    await storageErrorOf(log.append(encode("lost\n")));
    faulty.failOn({ op: "truncate", code: "EIO" });
    const err = await storageErrorOf(log.truncate(5));
    expect((err.cause as NodeJS.ErrnoException).code).toBe("EIO");
    await storageErrorOf(log.append(encode("still refused\n")));
    await log.truncate(5);
    await log.append(encode("ok\n"));
    await log.close();
    expect(await journal()).toBe("keep\nok\n");
  });

  it("refuses to truncate beyond size or to a bad length", async () => {
    const log = await storage.openAppendLog("graph.journal");
    await log.append(encode("abc"));
    for (const bad of [4, -1, 1.5, Number.NaN]) {
      await expect(log.truncate(bad), String(bad)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(log.size).toBe(3);
    await log.close();
  });

  it("a failed sync marks the log dirty too", async () => {
    const log = await storage.openAppendLog("graph.journal");
    await log.append(encode("a\n"));
    faulty.failOn({ op: "datasync", code: "EIO" });
    await storageErrorOf(log.sync());
    await storageErrorOf(log.append(encode("b\n")));
    await log.truncate(log.size);
    await log.append(encode("b\n"), { sync: true });
    await log.close();
    expect(await journal()).toBe("a\nb\n");
  });
});

describe("FsAppendLog: lifecycle and the storage around it", () => {
  it("close is safe twice; later calls reject; the storage's close closes open logs", async () => {
    const log = await storage.openAppendLog("graph.journal");
    await log.close();
    await log.close();
    expect(faulty.ops("close").length).toBe(1);
    await storageErrorOf(log.append(encode("x")));
    await storageErrorOf(log.sync());
    await storageErrorOf(log.truncate(0));

    const open = await storage.openAppendLog("graph.journal");
    const pending = open.append(encode("last\n"), { sync: true });
    faulty.clearLog();
    await storage.close();
    await pending;
    expect(faulty.ops("close").map((e) => e.path)).toContain("graph.journal");
    await storageErrorOf(open.append(encode("after close\n")));
    await storageErrorOf(storage.openAppendLog("other.journal"));
    expect(await journal()).toBe("last\n");
  });

  it("allows one open log per key", async () => {
    const log = await storage.openAppendLog("graph.journal");
    const err = await storageErrorOf(storage.openAppendLog("graph.journal"));
    expect(err.message).toMatch(/already open/);
    const other = await storage.openAppendLog("other.journal");
    await log.close();
    const again = await storage.openAppendLog("graph.journal");
    await Promise.all([again.close(), other.close()]);
  });

  it("compaction contract: close, put the new content, reopen — the new log appends to it", async () => {
    const log = await storage.openAppendLog("graph.journal");
    await log.append(encode("old 1\nold 2\n"), { sync: true });
    await log.close();
    await storage.put("graph.journal", "");
    const fresh = await storage.openAppendLog("graph.journal");
    expect(fresh.size).toBe(0);
    await fresh.append(encode("new\n"), { sync: true });
    await fresh.close();
    expect(await journal()).toBe("new\n");
  });

  it("a put, append or delete of the key while the log is open detaches it instead of losing appends", async () => {
    for (const replace of [
      () => storage.put("graph.journal", "replaced\n"),
      () =>
        storage.putStream(
          "graph.journal",
          (async function* () {
            yield encode("replaced\n");
          })(),
        ),
      () => storage.append("graph.journal", "replaced\n"),
      () => storage.delete("graph.journal"),
    ]) {
      await storage.put("graph.journal", "");
      const log = await storage.openAppendLog("graph.journal");
      const before = log.append(encode("before\n"), { sync: true }); // queued ahead: lands
      await replace();
      await before;
      const err = await storageErrorOf(log.append(encode("after\n"), { sync: true }));
      expect(err.message).toMatch(/replaced or deleted/);
      await storageErrorOf(log.truncate(0));
      await log.close();
      const content = (await storage.get("graph.journal"))?.body;
      expect(content === undefined || !new TextDecoder().decode(content).includes("after")).toBe(true);
    }
  });

  it("refuses keys outside the root, reserved names and symlinks that escape", async () => {
    const outside = await tempDir("outside");
    await writeFile(join(outside, "x.journal"), "canary");
    await symlink(outside, join(root, "escape"));
    for (const key of ["escape/x.journal", "../x.journal", ".lock"]) {
      await expect(storage.openAppendLog(key), key).rejects.toBeInstanceOf(InvalidIdError);
    }
    expect(await readFile(join(outside, "x.journal"), "utf8")).toBe("canary");
  });

  it("reports a failed open as StorageError and leaves no log registered", async () => {
    faulty.failOn({ op: "open", code: "EACCES" });
    const err = await storageErrorOf(storage.openAppendLog("graph.journal"));
    expect((err.cause as NodeJS.ErrnoException).code).toBe("EACCES");
    const log = await storage.openAppendLog("graph.journal");
    await log.close();
  });
});
