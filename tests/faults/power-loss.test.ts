/**
 * Simulated power loss (issue 3, "Tests": the only test that catches a missing fsync).
 *
 * The real `FsStorage` and `GraphStore` run over `PowerLossFs`, an in-memory disk with a page
 * cache (tests/support/power-loss-fs.ts). After every operation that can change what a crash
 * leaves, the test takes the worst-case crash images — unsynced file bytes lost (or half of an
 * unsynced append kept, or replaced by NULs), directory changes not covered by a directory
 * fsync undone — during a sequence of acknowledged commits, a compaction (commits in flight), a
 * backup and a saveVersion. Each distinct image is written to a real temp directory and opened
 * with the real fs: the open must succeed (a recovery report is allowed, losing anything is
 * not), every change acknowledged before the crash point must be there, and nothing that was
 * never attempted may appear.
 *
 * The meta-tests run the same checker on disks that silently ignore fdatasync, fsync or the
 * directory fsync, and assert that it reports lost acknowledged changes: the model is strict
 * enough that deleting an fsync from the product turns this test red.
 */
import { GraphStore } from "@dawsos/core";
import { FsStorage } from "@dawsos/storage-fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  describeError,
  GRAPH_TEMP,
  Ledger,
  openWriter,
  removeTempDirs,
  settle,
  storeOptions,
  summarise,
  tempDir,
} from "../support/fault-harness.ts";
import {
  CRASH_VARIANTS,
  type CrashImage,
  imageKey,
  materialize,
  PowerLossFs,
  type SyncKind,
} from "../support/power-loss-fs.ts";

/** Where the storage directory lives on the simulated disk. */
const ROOT = "/srv/dawsos";

afterAll(removeTempDirs);

interface Scenario {
  name: string;
  /** Work before the crash window (its crash points are not checked). */
  prepare(store: GraphStore, ledger: Ledger): Promise<void>;
  /** The operations whose every crash point is checked. */
  run(store: GraphStore, ledger: Ledger, fs: PowerLossFs): Promise<void>;
  /** Check crash points from the very first operation (opening and seeding included). */
  fromStart?: boolean;
}

const history = async (store: GraphStore, ledger: Ledger, ids: string[]) => {
  for (const id of ids) await ledger.put(store, id);
};

const scenarios: Scenario[] = [
  {
    name: "opening an empty directory, then acknowledged commits (concurrent and sequential)",
    fromStart: true,
    async prepare() {},
    async run(store, ledger) {
      await Promise.all(["P1", "P2", "P3"].map((id) => ledger.put(store, id)));
      await history(store, ledger, ["P4", "P5", "P6"]);
      await store.patchNode("P4", { v: "P4" }); // a patch that keeps data.v: the ledger still holds
    },
  },
  {
    name: "a compaction with commits in flight, then a commit to the new journal",
    async prepare(store, ledger) {
      await history(store, ledger, ["H1", "H2", "H3", "H4"]);
    },
    async run(store, ledger, fs) {
      const inFlight: Promise<unknown>[] = [ledger.put(store, "C0")];
      fs.beforeOp = (op, path) => {
        if (op !== "open" || !GRAPH_TEMP.test(path)) return;
        fs.beforeOp = undefined;
        inFlight.push(ledger.put(store, "C1"));
      };
      await store.compact();
      await settle(inFlight);
      await ledger.put(store, "C2");
    },
  },
  {
    name: "a backup (which compacts first), then a commit",
    async prepare(store, ledger) {
      await history(store, ledger, ["H1", "H2", "H3"]);
      await store.compact();
      await history(store, ledger, ["H4", "H5"]);
    },
    async run(store, ledger) {
      await store.backup();
      await ledger.put(store, "B1");
    },
  },
  {
    name: "a saveVersion (which compacts first), then a commit",
    async prepare(store, ledger) {
      await history(store, ledger, ["H1", "H2", "H3"]);
    },
    async run(store, ledger) {
      await store.saveVersion();
      await ledger.put(store, "V1");
    },
  },
];

interface CrashPoint {
  /** Operations (1-based index in the disk's log) after which the power fails. */
  after: number;
  /** Changes acknowledged at or before this operation index must survive. */
  ackedBy: number;
  images: Map<string, CrashImage>;
}

/** Runs `scenario` on `fs`, taking the crash images of every point in its window. */
async function recordCrashPoints(
  scenario: Scenario,
  fs: PowerLossFs,
  breakFrom?: readonly SyncKind[],
): Promise<{ points: CrashPoint[]; ledger: Ledger }> {
  const ledger = new Ledger(() => fs.log.length);
  const points: CrashPoint[] = [];
  const capture = (after: number) => {
    const images = new Map<string, CrashImage>();
    for (const variant of CRASH_VARIANTS) images.set(variant, fs.crashImage(ROOT, variant));
    points.push({ after, ackedBy: after, images });
  };
  const startCapturing = () => {
    capture(fs.log.length);
    fs.afterOp = (index, entry) => {
      if (entry.mutates) capture(index);
    };
  };
  if (scenario.fromStart) startCapturing();
  const storage = await FsStorage.open(ROOT, { fs, lock: true });
  const store = await GraphStore.open(storage, storeOptions());
  await scenario.prepare(store, ledger);
  if (!scenario.fromStart) startCapturing();
  for (const kind of breakFrom ?? []) fs.ignore.add(kind);
  await scenario.run(store, ledger, fs);
  fs.afterOp = undefined;
  // A crash image stays what it is until the next operation that can change it: the
  // acknowledgements it must hold are those made before that next operation.
  for (let i = 0; i < points.length; i++)
    points[i]!.ackedBy = (points[i + 1]?.after ?? fs.log.length + 1) - 1;
  if (ledger.ids("rejected").length > 0 || ledger.ids("pending").length > 0) {
    throw new Error(`${scenario.name}: a commit failed on the simulated disk`);
  }
  return { points, ledger };
}

/** Opens every distinct crash image with the real fs; lists what was lost or wrong. */
async function checkCrashPoints(
  points: readonly CrashPoint[],
  ledger: Ledger,
): Promise<{ problems: { where: string; problem: string }[]; images: number }> {
  // Identical images need one open, checked against the strictest bound they appear with.
  const unique = new Map<string, { image: CrashImage; ackedBy: number; where: string }>();
  for (const point of points) {
    for (const [variant, image] of point.images) {
      const key = imageKey(image);
      const seen = unique.get(key);
      if (seen === undefined || seen.ackedBy < point.ackedBy) {
        unique.set(key, { image, ackedBy: point.ackedBy, where: `after op ${point.after} (${variant})` });
      }
    }
  }
  const problems: { where: string; problem: string }[] = [];
  for (const { image, ackedBy, where } of unique.values()) {
    const dir = await tempDir("power");
    await materialize(image, dir);
    let opened: Awaited<ReturnType<typeof openWriter>>;
    try {
      opened = await openWriter(dir);
    } catch (err) {
      problems.push({ where, problem: `reopen failed: ${describeError(err)}` });
      continue;
    }
    try {
      // A recovery report is allowed here (section 6); losing an acknowledged change is not.
      for (const problem of ledger.problems(opened.store.graph, { ackedBy }))
        problems.push({ where, problem });
    } finally {
      await opened.storage.close();
    }
  }
  return { problems, images: unique.size };
}

describe("power loss at every operation (worst-case page cache)", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: reopen succeeds and nothing acknowledged before the crash is lost`, async () => {
      const fs = new PowerLossFs();
      const { points, ledger } = await recordCrashPoints(scenario, fs);
      const acknowledged = ledger.ids("acknowledged");
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(points.length).toBeGreaterThan(5);
      // Every acknowledged change is required by at least one crash point (the check has teeth).
      for (const id of acknowledged) expect(points.some((p) => p.ackedBy >= ledger.ackedAt(id)!)).toBe(true);
      const { problems, images } = await checkCrashPoints(points, ledger);
      expect(images).toBeGreaterThan(3);
      expect(summarise(problems)).toEqual([]);
    });
  }
});

describe("the power-loss checker catches a missing fsync (meta-tests)", () => {
  const broken: { kind: SyncKind; scenario: number }[] = [
    { kind: "fdatasync", scenario: 0 }, // journal appends: the acknowledged commits
    { kind: "fsync", scenario: 1 }, // the snapshot and journal files a compaction writes
    { kind: "dirsync", scenario: 1 }, // the renames and creates of a compaction
  ];
  for (const { kind, scenario: index } of broken) {
    const scenario = scenarios[index]!;
    it(`a disk that ignores ${kind} during "${scenario.name}" loses acknowledged changes, and the checker says so`, async () => {
      const fs = new PowerLossFs();
      const { points, ledger } = await recordCrashPoints(scenario, fs, [kind]);
      const { problems } = await checkCrashPoints(points, ledger);
      const losses = problems.filter(
        (p) => /^acknowledged .* is missing$/.test(p.problem) || p.problem.startsWith("reopen failed"),
      );
      expect(losses.length, `no loss detected with ${kind} ignored`).toBeGreaterThan(0);
    });
  }
});

describe("the PowerLossFs model", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const dec = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : b);

  it("keeps only fsynced bytes and only entries of fsynced directories", async () => {
    const fs = new PowerLossFs();
    await fs.mkdir("/d", { recursive: true });
    expect([...fs.crashImage("/").keys()]).toEqual([]); // mkdir not durable until "/" is fsynced
    await fs.syncDir("/");
    const file = await fs.open("/d/f", "a");
    await file.write(enc("one\n"));
    await file.datasync();
    expect(fs.crashImage("/d").has("f")).toBe(false); // its name is not durable yet
    await fs.syncDir("/d");
    await file.write(enc("two\n"));
    expect(dec(fs.crashImage("/d", "lost").get("f"))).toBe("one\n");
    expect(dec(fs.crashImage("/d", "half").get("f"))).toBe("one\ntw");
    expect(dec(fs.crashImage("/d", "zeros").get("f"))).toBe("one\n\0\0\0\0");
    await file.datasync();
    expect(dec(fs.crashImage("/d").get("f"))).toBe("one\ntwo\n");
  });

  it("undoes a rename and brings an unlinked file back until the directory is fsynced", async () => {
    const fs = new PowerLossFs();
    await fs.mkdir("/d", { recursive: true });
    await fs.syncDir("/");
    for (const [name, text] of [
      ["target", "old"],
      ["gone", "still here"],
    ] as const) {
      const h = await fs.open(`/d/${name}`, "wx");
      await h.write(enc(text));
      await h.sync();
      await h.close();
    }
    await fs.syncDir("/d");
    const tmp = await fs.open("/d/.tmp", "wx");
    await tmp.write(enc("new"));
    await tmp.sync();
    await tmp.close();
    await fs.rename("/d/.tmp", "/d/target");
    await fs.unlink("/d/gone");
    expect(dec(await fs.readFile("/d/target"))).toBe("new");
    const image = fs.crashImage("/d");
    expect(dec(image.get("target"))).toBe("old");
    expect(dec(image.get("gone"))).toBe("still here");
    expect(image.has(".tmp")).toBe(false);
    await fs.syncDir("/d");
    expect([...fs.crashImage("/d")].map(([k, v]) => [k, dec(v)])).toEqual([["target", "new"]]);
  });

  it("ignores the syncs it is told to ignore", async () => {
    const fs = new PowerLossFs({ ignore: ["fdatasync", "dirsync"] });
    await fs.mkdir("/d", { recursive: true });
    await fs.syncDir("/");
    expect(fs.crashImage("/").size).toBe(0);
    fs.ignore.delete("dirsync");
    await fs.syncDir("/");
    await fs.syncDir("/d");
    const h = await fs.open("/d/f", "a");
    await fs.syncDir("/d");
    await h.write(enc("x"));
    await h.datasync();
    expect(dec(fs.crashImage("/d").get("f"))).toBe("");
    await h.sync();
    expect(dec(fs.crashImage("/d").get("f"))).toBe("x");
  });
});
