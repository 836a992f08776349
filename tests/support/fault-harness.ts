/**
 * Shared pieces of the deterministic fault tests (tests/faults): temp directories, a small
 * seed, an op-serialising `FsOps`, a tap that fires a callback when a chosen operation starts,
 * and a ledger of which changes were acknowledged, which were in flight, and which failed.
 */
import { cp, mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeDocument,
  GraphStore,
  type GraphStoreOptions,
  type KnowledgeGraph,
  ManualClock,
} from "@dawsos/core";
import {
  type FsDirEntry,
  type FsFileHandle,
  type FsOps,
  type FsStat,
  FsStorage,
  nodeFsOps,
  nodeSha256,
  type OpenFlags,
} from "@dawsos/storage-fs";
import { FaultyFs } from "@dawsos/storage-fs/testing";

/** A small seed: two nodes, one edge. Its node ids never change in the tests. */
export const SEED = {
  version: 2,
  nodes: { A: { type: "seed", data: { v: "A" } }, B: { type: "seed", data: { v: "B" } } },
  edges: [{ from: "A", to: "B", type: "r", strength: 0.5 }],
  patterns: {},
};
const SEED_IDS: ReadonlySet<string> = new Set(Object.keys(SEED.nodes));

/** Store options every fault test uses: node:crypto hashing and a clock that only moves when told. */
export function storeOptions(extra: GraphStoreOptions = {}): GraphStoreOptions {
  return { seed: SEED, hasher: nodeSha256, clock: new ManualClock("2026-03-01T12:00:00.000Z"), ...extra };
}

/** Temp directories made by `tempDir`, removed by `removeTempDirs` (call it in `afterAll`). */
const made: string[] = [];

export async function tempDir(tag: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `dawsos-faults-${tag}-`)));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  const dirs = made.splice(0);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A fresh copy of `template` (a storage directory not in use by anyone). */
export async function cloneDir(template: string, tag: string): Promise<string> {
  const dir = await tempDir(tag);
  await cp(template, dir, { recursive: true });
  return dir;
}

/** Every file under `dir`, recursively, as sorted `/`-separated relative paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** The bytes of every file under `dir` whose relative path passes `filter`. */
export async function readTree(
  dir: string,
  filter: (relative: string) => boolean = () => true,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const file of await filesUnder(dir)) if (filter(file)) out.set(file, await readFile(join(dir, file)));
  return out;
}

/** Temp files of crash-safe replaces (`.<name>.<pid>.<hex>.tmp`), or anything else ending `.tmp`. */
export const TEMP_FILE = /(^|\/)[^/]*\.tmp$/;

/** The whole graph as our document text: equal text means equal graphs (seq, nodes, edges, patterns, metadata). */
export async function graphText(graph: KnowledgeGraph): Promise<string> {
  return new TextDecoder().decode((await encodeDocument(graph, nodeSha256)).bytes);
}

/** Opens `dir` as the writer (lock taken) over `fs`. */
export async function openWriter(
  dir: string,
  fs: FsOps = nodeFsOps,
  extra: GraphStoreOptions = {},
): Promise<{ storage: FsStorage; store: GraphStore }> {
  const storage = await FsStorage.open(dir, { fs, lock: true });
  try {
    return { storage, store: await GraphStore.open(storage, storeOptions(extra)) };
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
}

/** Opens `dir` read-only, without the lock (allowed while a writer holds it); nothing is written. */
export async function openReader(dir: string): Promise<{ storage: FsStorage; store: GraphStore }> {
  const storage = await FsStorage.open(dir);
  try {
    return { storage, store: await GraphStore.open(storage, storeOptions({ readOnly: true })) };
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
}

/**
 * `FsOps` that runs every operation (file-handle calls included) one at a time, in call order.
 * Concurrent chains (a commit appending to the journal while a compaction streams the snapshot)
 * then interleave the same way on every run, so "the k-th operation" names the same operation
 * in a dry run and in the faulted run.
 */
export function serialFs(inner: FsOps = nodeFsOps): FsOps {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = result.catch(() => undefined);
    return result;
  };
  const wrap = (handle: FsFileHandle): FsFileHandle => ({
    write: (bytes) => run(() => handle.write(bytes)),
    read: (buffer, position) => run(() => handle.read(buffer, position)),
    stat: () => run(() => handle.stat()),
    truncate: (length) => run(() => handle.truncate(length)),
    sync: () => run(() => handle.sync()),
    datasync: () => run(() => handle.datasync()),
    close: () => run(() => handle.close()),
  });
  return {
    open: async (path, flags) => wrap(await run(() => inner.open(path, flags))),
    readFile: (path) => run(() => inner.readFile(path)),
    rename: (from, to) => run(() => inner.rename(from, to)),
    link: (existing, newPath) => run(() => inner.link(existing, newPath)),
    unlink: (path) => run(() => inner.unlink(path)),
    mkdir: (path, options) => run(() => inner.mkdir(path, options)),
    rmdir: (path) => run(() => inner.rmdir(path)),
    readdir: (path, options) => run(() => inner.readdir(path, options)),
    lstat: (path) => run(() => inner.lstat(path)),
    realpath: (path) => run(() => inner.realpath(path)),
    syncDir: (path) => run(() => inner.syncDir(path)),
  };
}

/** `FsOps` that calls `onOpen(path, flags)` synchronously when an `open` starts, then delegates. */
export class TapFs implements FsOps {
  onOpen: ((path: string, flags: OpenFlags) => void) | undefined;
  readonly #inner: FsOps;

  constructor(inner: FsOps) {
    this.#inner = inner;
  }

  open(path: string, flags: OpenFlags): Promise<FsFileHandle> {
    this.onOpen?.(path, flags);
    return this.#inner.open(path, flags);
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.#inner.readFile(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.#inner.rename(from, to);
  }
  link(existing: string, newPath: string): Promise<void> {
    return this.#inner.link(existing, newPath);
  }
  unlink(path: string): Promise<void> {
    return this.#inner.unlink(path);
  }
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined> {
    return this.#inner.mkdir(path, options);
  }
  rmdir(path: string): Promise<void> {
    return this.#inner.rmdir(path);
  }
  readdir(path: string, options: { withFileTypes: true }): Promise<FsDirEntry[]> {
    return this.#inner.readdir(path, options);
  }
  lstat(path: string): Promise<FsStat> {
    return this.#inner.lstat(path);
  }
  realpath(path: string): Promise<string> {
    return this.#inner.realpath(path);
  }
  syncDir(path: string): Promise<void> {
    return this.#inner.syncDir(path);
  }
}

/** The snapshot temp file of `graph.json` in the storage root (not a backup's or a version's). */
export const GRAPH_TEMP = /(^|\/)\.graph\.json\.\d+\.[0-9a-f]{16}\.tmp$/;

type Outcome = "pending" | "acknowledged" | "rejected";

/**
 * Which `putNode`s were acknowledged, which are still in flight, and which were rejected. Each
 * tracked node gets a unique id and `data.v === id`, written once, so a recovered graph can be
 * checked exactly: acknowledged ⊆ recovered ⊆ acknowledged ∪ in flight (∪ rejected, when the
 * writer died before it could cut a failed record back).
 */
export class Ledger {
  readonly #outcomes = new Map<string, Outcome>();
  /** `tick()` at the moment each change was acknowledged (for "acknowledged before op k"). */
  readonly #ackedAt = new Map<string, number>();
  readonly #tick: () => number;

  constructor(tick: () => number = () => 0) {
    this.#tick = tick;
  }

  /** A copy that shares no state (history carried from a template into one run). */
  clone(tick: () => number = this.#tick): Ledger {
    const copy = new Ledger(tick);
    for (const [id, outcome] of this.#outcomes) copy.#outcomes.set(id, outcome);
    for (const [id, at] of this.#ackedAt) copy.#ackedAt.set(id, at);
    return copy;
  }

  /** Starts `store.putNode(id)` and tracks its outcome; the promise never rejects. */
  put(store: GraphStore, id: string): Promise<Outcome> {
    if (this.#outcomes.has(id)) throw new Error(`ledger: ${id} used twice`);
    this.#outcomes.set(id, "pending");
    return store.putNode(id, { type: "t", data: { v: id } }).then(
      () => {
        this.#outcomes.set(id, "acknowledged");
        this.#ackedAt.set(id, this.#tick());
        return "acknowledged" as const;
      },
      () => {
        this.#outcomes.set(id, "rejected");
        return "rejected" as const;
      },
    );
  }

  outcome(id: string): Outcome | undefined {
    return this.#outcomes.get(id);
  }

  ids(outcome: Outcome): string[] {
    return [...this.#outcomes].filter(([, o]) => o === outcome).map(([id]) => id);
  }

  /** When `id` was acknowledged (the tick at its resolution), or `undefined`. */
  ackedAt(id: string): number | undefined {
    return this.#ackedAt.get(id);
  }

  /**
   * What is wrong with `graph` as a recovered state:
   * - every acknowledged change (acknowledged at tick ≤ `ackedBy`, default all) is present;
   * - every other node is a seed node or a tracked change (never a phantom), with its data;
   * - with `rejectedAbsent`, rejected changes are absent (the store rolled back and cut the
   *   journal back, so they must not come back).
   */
  problems(graph: KnowledgeGraph, options: { ackedBy?: number; rejectedAbsent?: boolean } = {}): string[] {
    const out: string[] = [];
    for (const id of SEED_IDS) if (!graph.hasNode(id)) out.push(`seed node ${id} is missing`);
    for (const [id, outcome] of this.#outcomes) {
      if (outcome !== "acknowledged") continue;
      const at = this.#ackedAt.get(id) ?? 0;
      if (options.ackedBy !== undefined && at > options.ackedBy) continue;
      if (!graph.hasNode(id)) out.push(`acknowledged ${id} is missing`);
    }
    for (const node of graph.nodes()) {
      if (SEED_IDS.has(node.id)) continue;
      const outcome = this.#outcomes.get(node.id);
      if (outcome === undefined) out.push(`phantom node ${node.id}`);
      else if (node.data.v !== node.id)
        out.push(`node ${node.id} has wrong data ${JSON.stringify(node.data)}`);
      else if (outcome === "rejected" && options.rejectedAbsent) out.push(`rejected ${node.id} is present`);
    }
    return out;
  }
}

/** Settles every promise, never rejecting. */
export async function settle(promises: Iterable<Promise<unknown>>): Promise<void> {
  await Promise.allSettled([...promises]);
}

/** A compact description of an error for problem lists. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${err.name}${typeof code === "string" ? `(${code})` : ""}: ${err.message}`;
  }
  return String(err);
}

/** Groups problem strings of many cases into "problem — N case(s), e.g. …" lines (readable failures). */
export function summarise(problems: readonly { where: string; problem: string }[]): string[] {
  const byProblem = new Map<string, string[]>();
  for (const { where, problem } of problems) {
    const key = problem.replace(/\d{8}_\d{6}(-\d+)?/g, "<id>").replace(/\.\d+\.[0-9a-f]{16}\.tmp/g, ".<tmp>");
    byProblem.set(key, [...(byProblem.get(key) ?? []), where]);
  }
  return [...byProblem].map(
    ([problem, wheres]) =>
      `${problem} — ${wheres.length} case(s): ${wheres.slice(0, 6).join("; ")}${wheres.length > 6 ? "; …" : ""}`,
  );
}

/** A storage directory with history, ready to be copied for each run. */
export interface Template {
  dir: string;
  /** H1…H7, all acknowledged. */
  ledger: Ledger;
}

/**
 * Seed, four commits, a compaction, a backup (so there is an existing backup to keep intact),
 * then three more commits so the journal is not empty. The store is abandoned, not closed
 * (closing would compact); the storage is closed, which closes the journal handle and releases
 * the lock without writing anything else.
 */
export async function prepareTemplate(): Promise<Template> {
  const dir = await tempDir("template");
  const { storage, store } = await openWriter(dir);
  const ledger = new Ledger();
  for (const id of ["H1", "H2", "H3", "H4"]) await ledger.put(store, id);
  await store.compact();
  await store.backup();
  for (const id of ["H5", "H6", "H7"]) await ledger.put(store, id);
  await storage.close();
  if (ledger.ids("acknowledged").length !== 7) throw new Error("template: a history commit failed");
  if (store.journal.records !== 3)
    throw new Error(`template: journal has ${store.journal.records} records, not 3`);
  return { dir, ledger };
}

/**
 * Opens a fresh copy of `template` as the writer (lock taken) over
 * `TapFs → FaultyFs → serialFs → node:fs`, with a copy of its ledger: `faulty` injects the faults
 * and logs every operation, `tap` lets a scenario act when a chosen file is opened.
 */
export async function openFaulty(template: Template, tag: string) {
  const dir = await cloneDir(template.dir, tag);
  const faulty = new FaultyFs(serialFs(nodeFsOps), { root: dir });
  const tap = new TapFs(faulty);
  const storage = await FsStorage.open(dir, { fs: tap, lock: true });
  const store = await GraphStore.open(storage, storeOptions());
  return { dir, faulty, tap, storage, store, ledger: template.ledger.clone() };
}

/**
 * Runs `fn` over `items` with at most `concurrency` at a time; results in item order. The cases
 * are independent (each has its own directory, fs wrapper and store) and mostly wait on fsync,
 * so running a few at once shortens the suite without changing what each case checks.
 */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Concurrency of the fault suites' independent cases (see `pool`). */
export const CASE_CONCURRENCY = 6;
