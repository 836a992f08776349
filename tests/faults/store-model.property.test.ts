/**
 * Model-based test of `GraphStore` (issue 10, "Tests that find the next bug of this kind").
 *
 * fast-check generates sequences of commands — single mutations, batches (sometimes with one
 * failing op), several mutations at once, versions, backups, restores, compaction, a clean
 * close-and-reopen, power losses (quiescent; in the middle of concurrent commits and a
 * compaction; in the middle of a backup, version, restore or compaction), and a lost
 * `graph.json` (rebuilt from what the journal continues, or refused) — and runs each
 * against the real `GraphStore` over the real `FsStorage` on a `PowerLossFs` (an in-memory
 * disk with a worst-case page cache; a power loss reopens a fresh disk holding its crash
 * image), and against a plain reference model (tests/support/store-model.ts) that holds only
 * acknowledged changes. The injected clock advances only by command, so ids repeat seconds.
 *
 * Values come from hostile JSON: nesting at 63/64/65+ levels, non-finite and extreme numbers,
 * lone surrogates, NUL, `__proto__`/`constructor`/`prototype` keys and ids, long strings (in
 * some runs one over a MiB of 4-byte characters, longer than a read chunk), 256-character and
 * invalid ids. The model predicts each
 * call's outcome: the new state, or the error code (`validation_error`, `invalid_id`,
 * `not_found`, `unknown_node`, `conflict`) with which the store must refuse it, changing nothing.
 *
 * After every command the store's graph (read after `refresh()`) equals the model and `seq`
 * never goes back; readers running while commits are in flight see only states the model
 * reached, never newer than what is durable; after a power loss every acknowledged change is
 * there (durability `"fsync"`), and a loss mid-commit leaves an acknowledged-or-later prefix of
 * the commits in flight. Backup and version ids (clock-driven, `-N` within a second) and
 * retention are predicted too.
 *
 * The meta-tests run the same property on disks that skip fdatasync, fsync or the directory
 * fsync, and require it to fail: deleting an fsync from the product turns this test red.
 *
 * `pnpm test` runs 200 sequences; `STRESS_ROUNDS=N` (as in `pnpm test:stress`) runs 10·N,
 * `STORE_MODEL_RUNS=N` exactly N. `STORE_MODEL_SEED`, `STORE_MODEL_PATH` and `STORE_MODEL_REPLAY`
 * (the `seed`, `path` and `replayPath` fast-check prints) replay a failure.
 */
import {
  type BatchOp,
  DawsosError,
  type GraphEdge,
  type GraphNode,
  GraphStore,
  type GraphStoreOptions,
  IntegrityError,
  type JsonObject,
  ManualClock,
  type Pattern,
} from "@dawsos/core";
import { scanJournal } from "@dawsos/core/journal";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeError } from "../support/fault-harness.ts";
import {
  CRASH_VARIANTS,
  type CrashImage,
  type CrashVariant,
  imageKey,
  PowerLossFs,
  type SyncKind,
} from "../support/power-loss-fs.ts";
import {
  bindCall,
  type Call,
  call,
  canonical,
  cloneJson,
  depthOf,
  describeCall,
  differences,
  diskFromImage,
  durableSeq,
  expectedId,
  hasNonFinite,
  jsonEqual,
  type ModelGraph,
  type Prediction,
  predict,
  restored,
  sortIdsNewestFirst,
} from "../support/store-model.ts";

const ROOT = "/srv/dawsos";
const T0 = "2026-03-01T12:00:00.000Z";

// ------------------------------------------------------------------ runs

function runsFromEnv(): number {
  const exact = process.env.STORE_MODEL_RUNS;
  if (exact) return count("STORE_MODEL_RUNS", exact);
  const stress = process.env.STRESS_ROUNDS;
  return stress ? Math.max(200, 10 * count("STRESS_ROUNDS", stress)) : 200;
}

function count(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}=${raw} is not a count`);
  return n;
}

const RUNS = runsFromEnv();

// ------------------------------------------------------------------ the seed and the initial model

/**
 * The seed, in our own format so every field is known. Unknown fields (SPEC: preserved through
 * load and save) on a node, an edge and a pattern, some under `__proto__` (own keys, hence
 * `JSON.parse`): a put keeps a node's unknown fields, and nothing may drop them.
 */
const SEED = JSON.parse(`{
  "version": 2,
  "nodes": {
    "A": { "type": "seed", "data": { "v": "A" }, "created_at": "${T0}", "updated_at": "${T0}",
           "legacy": { "__proto__": { "polluted": true }, "k": [1, -0] }, "__proto__": "own" },
    "B": { "type": "seed", "data": { "v": "B", "n": -0 }, "created_at": "${T0}", "updated_at": "${T0}" }
  },
  "edges": [{ "id": "e0", "from": "A", "to": "B", "type": "r", "strength": 0.5, "created_at": "${T0}",
              "activations": 3, "constructor": { "prototype": null } }],
  "patterns": { "p0": { "type": "REGIME", "trigger_conditions": ["A.data.v > 1"], "confidence": 0.5,
                        "__proto__": { "x": 1 } } }
}`) as {
  nodes: Record<string, JsonObject>;
  edges: GraphEdge[];
  patterns: Record<string, Pattern>;
};

function seedModel(): ModelGraph {
  return {
    nodes: new Map(
      Object.keys(SEED.nodes).map((id) => [id, { id, ...cloneJson(SEED.nodes[id]!) } as GraphNode]),
    ),
    edges: new Map(SEED.edges.map((e) => [e.id, cloneJson(e)])),
    patterns: new Map(Object.keys(SEED.patterns).map((id) => [id, cloneJson(SEED.patterns[id]!)])),
    seq: 0,
  };
}

// ------------------------------------------------------------------ model and real system

interface RunConfig {
  backupRetention: number;
  versionRetention: number;
  /** Small values make the store compact in the background between (and during) commands. */
  compactAfterRecords: number;
  /** Whether this run may store a value over a MiB (see `HugeValueCommand`). */
  hugeValues: boolean;
}

interface Saved {
  id: string;
  graph: ModelGraph;
}

interface Model {
  /** Acknowledged changes only. */
  graph: ModelGraph;
  /** Complete backups and versions, newest first. */
  backups: Saved[];
  versions: Saved[];
  /** The last version or backup id this store instance issued (a reopened store starts afresh). */
  issued: string | null;
  /** The injected clock, in ms. */
  now: number;
  readonly config: RunConfig;
}

interface Real {
  fs: PowerLossFs;
  storage: FsStorage;
  store: GraphStore;
  readonly clock: ManualClock;
  readonly config: RunConfig;
  /** `seq` seen after the previous command: it never goes back. */
  lastSeq: number;
}

function storeOptions(real: Pick<Real, "clock" | "config">): GraphStoreOptions {
  return {
    seed: SEED,
    hasher: nodeSha256,
    clock: real.clock,
    backupRetention: real.config.backupRetention,
    versionRetention: real.config.versionRetention,
    compactAfterRecords: real.config.compactAfterRecords,
  };
}

async function openOn(fs: PowerLossFs, real: Pick<Real, "clock" | "config">) {
  const storage = await FsStorage.open(ROOT, { fs, lock: true });
  try {
    return { storage, store: await GraphStore.open(storage, storeOptions(real)) };
  } catch (err) {
    await storage.close().catch(() => undefined);
    throw err;
  }
}

// ------------------------------------------------------------------ what the runs exercised

/** Counted over all runs and checked at the end: the generators must reach every outcome. */
const tally = {
  calls: 0,
  refusedValue: 0,
  acceptedAtLimit: 0,
  refusedOther: 0,
  concurrentMixed: 0,
  readerProbes: 0,
  crashes: 0,
  crashesMidFlight: 0,
  partialRecoveries: 0,
  suffixedIds: 0,
  restores: 0,
  reopens: 0,
  hugeValues: 0,
  lostGraphJson: 0,
  rebuilt: 0,
};

function countCall(c: Call, p: Prediction): void {
  tally.calls++;
  const values = (c.kind === "single" ? [c.op] : c.ops).flatMap((o) =>
    "data" in o ? [o.data] : "pattern" in o ? [o.pattern] : "metadata" in o ? [o.metadata] : [],
  );
  if (!p.ok && p.code === "validation_error" && values.some((v) => depthOf(v) > 64 || hasNonFinite(v)))
    tally.refusedValue++;
  else if (!p.ok) tally.refusedOther++;
  else if (values.some((v) => depthOf(v) >= 64)) tally.acceptedAtLimit++;
}

// ------------------------------------------------------------------ running calls

function runCall(store: GraphStore, c: Call): Promise<unknown> {
  if (c.kind === "batch") return store.applyBatch(c.ops as unknown as BatchOp[]);
  const o = c.op;
  switch (o.op) {
    case "put_node":
      return store.putNode(o.id, { type: o.type, data: o.data });
    case "patch_node":
      return store.patchNode(o.id, o.data);
    case "delete_node":
      return store.deleteNode(o.id);
    case "add_edge": {
      const { op: _op, ...input } = o;
      return store.addEdge(input);
    }
    case "delete_edge":
      return store.deleteEdge(o.id);
    case "put_pattern":
      return store.putPattern(o.id, o.pattern);
    case "delete_pattern":
      return store.deletePattern(o.id);
  }
}

/** The call's outcome is the predicted one: accepted with the predicted result, or refused with its code. */
function checkOutcome(result: PromiseSettledResult<unknown>, p: Prediction, c: Call): void {
  const what = describeCall(c);
  if (!p.ok) {
    if (result.status === "fulfilled")
      throw new Error(`${what} was accepted; the model refuses it (${p.code})`);
    const err = result.reason as unknown;
    if (!(err instanceof DawsosError)) throw new Error(`${what} failed with ${describeError(err)}`);
    if (p.index === undefined) {
      expect(err.code, `${what}: ${err.message}`).toBe(p.code);
    } else {
      // A batch is refused as a whole, naming the failing op and its own code.
      expect(err.code, `${what}: ${err.message}`).toBe("validation_error");
      expect(err.details, `${what}: ${err.message}`).toMatchObject({ index: p.index, code: p.code });
    }
    return;
  }
  if (result.status === "rejected") {
    throw new Error(`${what} was refused (${describeError(result.reason)}); the model accepts it`);
  }
  const value = result.value as Record<string, unknown> | undefined;
  if (c.kind === "batch") {
    expect(value, what).toEqual({ applied: p.applied, seq: p.graph.seq });
    return;
  }
  const o = c.op;
  const expectSame = (got: unknown, want: unknown) => {
    if (!jsonEqual(got, want)) expect(canonical(got), `${what} returned`).toBe(canonical(want));
  };
  if (o.op === "put_node") {
    expect(value?.created, what).toBe(p.created);
    expectSame(value?.node, p.graph.nodes.get(o.id));
  } else if (o.op === "patch_node") {
    expectSame(value, p.graph.nodes.get(o.id));
  } else if (o.op === "put_pattern") {
    expect(value?.created, what).toBe(p.created);
  } else if (o.op === "add_edge") {
    expectSame(value, p.graph.edges.get(p.edgeId!));
  }
}

/** After every command: the store (read after `refresh()`) equals the model, and `seq` never went back. */
async function expectInSync(m: Model, r: Real): Promise<void> {
  await r.store.refresh();
  expect(differences(r.store.graph, m.graph), "store vs model").toEqual([]);
  expect(r.store.graph.seq).toBeGreaterThanOrEqual(r.lastSeq);
  r.lastSeq = r.store.graph.seq;
}

/**
 * The stored backups (and, unless only backups can have changed, versions) are exactly those
 * the model kept: ids, newest first.
 */
async function expectSavedLists(m: Model, r: Real, which: "backups" | "both" = "both"): Promise<void> {
  expect(
    (await r.store.listBackups()).map((b) => b.id),
    "backups",
  ).toEqual(m.backups.map((b) => b.id));
  expect(sortIdsNewestFirst(m.backups.map((b) => b.id))).toEqual(m.backups.map((b) => b.id));
  if (which === "backups") return;
  expect(
    (await r.store.listVersions()).map((v) => v.id),
    "versions",
  ).toEqual(m.versions.map((v) => v.id));
  expect(sortIdsNewestFirst(m.versions.map((v) => v.id))).toEqual(m.versions.map((v) => v.id));
  // One order for both kinds: never the same id for a version and a backup.
  const all = [...m.backups, ...m.versions].map((s) => s.id);
  expect(new Set(all).size, `ids ${all.join(" ")}`).toBe(all.length);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The id a new backup or version gets now: versions and backups share one order (SPEC section
 * 6: ids sort in creation order; recovery searches both kinds newest id first), so the ids of
 * both kinds count, and those this instance issued.
 */
function nextId(m: Model): string {
  const taken = [...m.versions, ...m.backups].map((s) => s.id);
  const id = expectedId(m.now, [...taken, ...(m.issued ? [m.issued] : [])]);
  if (id.includes("-")) tally.suffixedIds++;
  return id;
}

/**
 * Backup retention (SPEC sections 3 and 6): the new backup stays, so does a restore's source
 * (`protect`); of the others, the newest `keep - 1 - protect.length` stay.
 */
function retainBackups(
  made: Saved,
  existing: readonly Saved[],
  keep: number,
  protect: readonly string[],
): Saved[] {
  const others = existing.filter((b) => !protect.includes(b.id));
  const kept = new Set(others.slice(0, Math.max(0, keep - 1 - protect.length)).map((b) => b.id));
  return [made, ...existing.filter((b) => protect.includes(b.id) || kept.has(b.id))];
}

/** Adopts a reopened store; checks it needed no recovery and holds what the model says. */
async function adopt(m: Model, r: Real, fs: PowerLossFs, opened: Awaited<ReturnType<typeof openOn>>) {
  r.fs = fs;
  r.storage = opened.storage;
  r.store = opened.store;
  m.issued = null;
  tally.reopens++;
  // Nothing was damaged: a power loss with every fsync in place needs no recovery.
  expect(opened.store.recovery, "recovery report").toBeNull();
}

// ------------------------------------------------------------------ commands

type StoreCommand = fc.AsyncCommand<Model, Real>;

class CallCommand implements StoreCommand {
  constructor(readonly call: Call) {}
  check(_m: Readonly<Model>): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const c = bindCall(this.call, m.graph);
    const p = predict(m.graph, c, iso(m.now));
    countCall(c, p);
    const [result] = await Promise.allSettled([runCall(r.store, c)]);
    checkOutcome(result!, p, c);
    if (p.ok) m.graph = p.graph;
    await expectInSync(m, r);
  }
  toString(): string {
    return describeCall(this.call);
  }
}

/**
 * 2-5 calls started together (one group commit or a few), some refused, with readers waiting
 * on `refresh()` in between. Group commit prepares them in submission order, so the model
 * applies each accepted call in call order; a reader sees one of the states in between, never
 * one newer than what is durable.
 */
class ConcurrentCommand implements StoreCommand {
  constructor(
    readonly calls: Call[],
    readonly probes: boolean[],
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const at = iso(m.now);
    const bound: Call[] = [];
    const predictions: Prediction[] = [];
    const states: ModelGraph[] = [m.graph];
    let g = m.graph;
    for (const raw of this.calls) {
      const c = bindCall(raw, g);
      const p = predict(g, c, at);
      countCall(c, p);
      bound.push(c);
      predictions.push(p);
      if (p.ok) {
        g = p.graph;
        states.push(g);
      }
    }
    const observed: { seq: number; problems: string[]; durable: number }[] = [];
    const probes: Promise<void>[] = [];
    const calls: Promise<unknown>[] = [];
    const store = r.store;
    bound.forEach((c, i) => {
      calls.push(runCall(store, c));
      if (this.probes[i]) {
        probes.push(
          store.refresh().then(() => {
            // Synchronously after refresh(): what a request handler would serve.
            const graph = store.graph;
            const state = states.find((s) => s.seq === graph.seq);
            observed.push({
              seq: graph.seq,
              problems: state
                ? differences(graph, state)
                : [`seq ${graph.seq} is none of the model's states`],
              durable: durableSeq(r.fs, ROOT),
            });
          }),
        );
      }
    });
    const results = await Promise.allSettled(calls);
    await Promise.all(probes);
    for (const [i, result] of results.entries()) checkOutcome(result, predictions[i]!, bound[i]!);
    if (results.some((x) => x.status === "fulfilled") && results.some((x) => x.status === "rejected"))
      tally.concurrentMixed++;
    tally.readerProbes += observed.length;
    for (const o of observed) {
      expect(o.problems, `reader at seq ${o.seq}`).toEqual([]);
      expect(o.seq, "a reader saw a change that was not durable").toBeLessThanOrEqual(o.durable);
    }
    for (let i = 1; i < observed.length; i++)
      expect(observed[i]!.seq).toBeGreaterThanOrEqual(observed[i - 1]!.seq);
    m.graph = g;
    await expectInSync(m, r);
  }
  toString(): string {
    return `concurrently[${this.calls.map(describeCall).join(", ")}]`;
  }
}

/**
 * A node holding over a MiB of 4-byte UTF-8 characters: longer than one read chunk of a
 * streamed file, so a character straddles a chunk boundary in every later snapshot, backup
 * and reopen. Only in the runs whose config asks for it (it makes them slower).
 */
class HugeValueCommand extends CallCommand {
  constructor(id: string) {
    super({
      kind: "single",
      op: { op: "put_node", id, type: "huge", data: { "\ud83d\ude00": HUGE_STRING, n: -0 } },
    });
  }
  override check(m: Readonly<Model>): boolean {
    return m.config.hugeValues;
  }
  override async run(m: Model, r: Real): Promise<void> {
    await super.run(m, r);
    tally.hugeValues++;
  }
  override toString(): string {
    return `put_node(${JSON.stringify((this.call as { op: { id: string } }).op.id)}, 1 MiB+ string)`;
  }
}

const HUGE_STRING = "\ud83d\ude00".repeat(270_000);

class TickCommand implements StoreCommand {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    m.now += this.ms;
    r.clock.advance(this.ms);
  }
  toString(): string {
    return `tick(${this.ms}ms)`;
  }
}

class CompactCommand implements StoreCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const { seq } = await r.store.compact();
    expect(seq).toBe(m.graph.seq);
    expect(r.store.journal.records).toBe(0);
    await expectInSync(m, r);
  }
  toString(): string {
    return "compact";
  }
}

class SaveVersionCommand implements StoreCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = nextId(m);
    const saved = await r.store.saveVersion();
    expect(saved.id, "version id").toBe(id);
    m.issued = id;
    const keep = Math.max(1, m.config.versionRetention);
    m.versions = [{ id, graph: m.graph }, ...m.versions.slice(0, keep - 1)];
    await expectSavedLists(m, r);
    await expectInSync(m, r);
  }
  toString(): string {
    return "saveVersion";
  }
}

class BackupCommand implements StoreCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = nextId(m);
    const info = await r.store.backup();
    expect(info.id, "backup id").toBe(id);
    expect(info.seq).toBe(m.graph.seq);
    m.issued = id;
    m.backups = retainBackups({ id, graph: m.graph }, m.backups, Math.max(1, m.config.backupRetention), []);
    await expectSavedLists(m, r, "backups");
    await expectInSync(m, r);
  }
  toString(): string {
    return "backup";
  }
}

class RestoreBackupCommand implements StoreCommand {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.backups.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const source = m.backups[this.pick % m.backups.length]!;
    const safety = nextId(m);
    const stats = await r.store.restoreBackup(source.id);
    expect(stats.total_nodes).toBe(source.graph.nodes.size);
    tally.restores++;
    m.issued = safety;
    // The safety backup holds the state before the restore; the source is never pruned by it.
    m.backups = retainBackups(
      { id: safety, graph: m.graph },
      m.backups,
      Math.max(1, m.config.backupRetention),
      [source.id],
    );
    m.graph = restored(source.graph, m.graph);
    await expectSavedLists(m, r, "backups");
    await expectInSync(m, r);
  }
  toString(): string {
    return `restoreBackup(#${this.pick})`;
  }
}

class RestoreVersionCommand implements StoreCommand {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.versions.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    const source = m.versions[this.pick % m.versions.length]!;
    const safety = nextId(m);
    await r.store.restoreVersion(source.id);
    tally.restores++;
    m.issued = safety;
    m.backups = retainBackups(
      { id: safety, graph: m.graph },
      m.backups,
      Math.max(1, m.config.backupRetention),
      [],
    );
    m.graph = restored(source.graph, m.graph);
    await expectSavedLists(m, r, "backups");
    await expectInSync(m, r);
  }
  toString(): string {
    return `restoreVersion(#${this.pick})`;
  }
}

/** `close()` (which compacts) and a new writer over the same disk: nothing changes. */
class CloseReopenCommand implements StoreCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await r.store.close();
    await r.storage.close();
    const opened = await openOn(r.fs, r);
    await adopt(m, r, r.fs, opened);
    expect(r.store.journal.records, "close folds the journal into graph.json").toBe(0);
    await expectSavedLists(m, r);
    await expectInSync(m, r);
  }
  toString(): string {
    return "close+reopen";
  }
}

/** Power loss now (a background compaction may be running): every acknowledged change survives. */
class CrashCommand implements StoreCommand {
  constructor(readonly variant: CrashVariant) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const image = r.fs.crashImage(ROOT, this.variant);
    tally.crashes++;
    const fs = await diskFromImage(image, ROOT);
    await adopt(m, r, fs, await openOn(fs, r));
    await expectSavedLists(m, r);
    await expectInSync(m, r);
  }
  toString(): string {
    return `powerLoss(${this.variant})`;
  }
}

/**
 * Power loss after the `at`-th disk operation that can change what a crash leaves, counted
 * from the start of 2-5 concurrent calls (and maybe a compaction). The old store carries on
 * on the old disk (its outcomes must match the model); the disk image from that instant is
 * reopened. The recovered graph must be the model's state after some prefix of the accepted
 * calls (journal order is call order), at least up to the last call acknowledged before the
 * power failed.
 */
class CrashMidFlightCommand implements StoreCommand {
  constructor(
    readonly calls: Call[],
    readonly at: number,
    readonly variant: CrashVariant,
    readonly withCompaction: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const at = iso(m.now);
    const bound: Call[] = [];
    const predictions: Prediction[] = [];
    const states: ModelGraph[] = [m.graph];
    /** For each call, the index in `states` of the state right after it (accepted calls only). */
    const stateAfter: (number | null)[] = [];
    let g = m.graph;
    for (const raw of this.calls) {
      const c = bindCall(raw, g);
      const p = predict(g, c, at);
      countCall(c, p);
      bound.push(c);
      predictions.push(p);
      if (p.ok) {
        g = p.graph;
        states.push(g);
        stateAfter.push(states.length - 1);
      } else stateAfter.push(null);
    }
    const fs = r.fs;
    const acked = bound.map(() => false);
    let image: CrashImage | null = null;
    let ackedAtCrash: boolean[] = [];
    let ops = 0;
    fs.afterOp = (_index, entry) => {
      if (!entry.mutates || image !== null) return;
      if (++ops === this.at) {
        image = fs.crashImage(ROOT, this.variant);
        ackedAtCrash = [...acked];
      }
    };
    const store = r.store;
    const running = bound.map((c, i) =>
      runCall(store, c).then((value) => {
        acked[i] = true;
        return value;
      }),
    );
    const compaction = this.withCompaction ? store.compact() : null;
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled(running);
      await compaction;
    } finally {
      fs.afterOp = undefined;
    }
    // The old store never lost power: its outcomes are the model's.
    for (const [i, result] of results.entries()) checkOutcome(result, predictions[i]!, bound[i]!);
    if (image === null) {
      image = fs.crashImage(ROOT, this.variant);
      ackedAtCrash = [...acked];
    } else tally.crashesMidFlight++;
    tally.crashes++;
    let atLeast = 0;
    ackedAtCrash.forEach((wasAcked, i) => {
      if (wasAcked) atLeast = Math.max(atLeast, stateAfter[i]!);
    });
    const disk = await diskFromImage(image, ROOT);
    const opened = await openOn(disk, r);
    const seq = opened.store.graph.seq;
    const found = states.findIndex((s) => s.seq === seq);
    expect(found, `recovered seq ${seq} is none of the states the calls pass through`).toBeGreaterThanOrEqual(
      0,
    );
    expect(found, "an acknowledged change was lost").toBeGreaterThanOrEqual(atLeast);
    if (found < states.length - 1) tally.partialRecoveries++;
    m.graph = states[found]!;
    await adopt(m, r, disk, opened);
    await expectSavedLists(m, r);
    await expectInSync(m, r);
  }
  toString(): string {
    return `powerLoss(${this.variant}) at disk op ${this.at} of [${this.calls.map(describeCall).join(", ")}${
      this.withCompaction ? ", compact" : ""
    }]`;
  }
}

/**
 * `graph.json` lost (deleted by an operator, a disk tool, a restore from a file-level backup…)
 * at a quiet moment. SPEC section 6: with a journal that continues the seed, a version or a
 * backup — one of them has a `seq` within the journal's range — open rebuilds it losslessly
 * and reports it; otherwise it refuses, naming the file, and changes nothing. The model says
 * which from the journal's records and the `seq`s of the saved graphs it knows. A rebuilt store
 * is adopted; after a refusal the run goes on with the intact disk.
 */
class LoseGraphJsonCommand implements StoreCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const image = new Map(r.fs.crashImage(ROOT, "lost"));
    image.delete("graph.json");
    const journal = image.get("graph.journal");
    const records = journal ? scanJournal(journal, nodeSha256).records : [];
    const start = records.length > 0 ? records[0]!.seq - records[0]!.count : null;
    const end = records.at(-1)?.seq ?? null;
    const saved = [0, ...m.versions.map((v) => v.graph.seq), ...m.backups.map((b) => b.graph.seq)];
    const lossless = start !== null && end !== null && saved.some((seq) => seq >= start && seq <= end);

    const disk = await diskFromImage(image, ROOT);
    const files = () => withoutLock(disk.crashImage(ROOT, "lost"));
    const before = files();
    let opened: Awaited<ReturnType<typeof openOn>> | undefined;
    let error: unknown;
    try {
      opened = await openOn(disk, r);
    } catch (err) {
      error = err;
    }
    tally.lostGraphJson++;
    if (!lossless) {
      expect(error, "graph.json missing and nothing the journal continues: open refuses").toBeInstanceOf(
        IntegrityError,
      );
      expect((error as IntegrityError).file).toBe("graph.json");
      expect(imageKey(files()), "a refused recovery changed the disk").toBe(imageKey(before));
      return;
    }
    if (error !== undefined) throw new Error(`lossless rebuild expected: ${describeError(error)}`);
    tally.rebuilt++;
    const recovery = opened!.store.recovery;
    expect(recovery, "a rebuild is reported").not.toBeNull();
    expect(recovery).toMatchObject({ file: "graph.json", lossless: true, recoveredSeq: m.graph.seq });
    r.fs = disk;
    r.storage = opened!.storage;
    r.store = opened!.store;
    m.issued = null;
    tally.reopens++;
    await expectSavedLists(m, r);
    await expectInSync(m, r);
  }
  toString(): string {
    return "lose graph.json";
  }
}

/** An image without the writer lock files (a reopen takes the lock: that is not a change). */
function withoutLock(image: CrashImage): CrashImage {
  return new Map([...image].filter(([path]) => path !== ".lock" && path !== ".lock.claim"));
}

type AdminOp = "backup" | "saveVersion" | "restoreBackup" | "restoreVersion" | "compact";

/**
 * Power loss after the `at`-th disk operation (that can change what a crash leaves) of a
 * backup, a version, a restore or a compaction. The old store finishes the operation (it must
 * succeed); the image from that instant must reopen without a recovery report, with the graph
 * as it was before the operation or (a restore) as restored — and then with the restore's
 * safety backup present — and with the backups and versions somewhere between the lists before
 * and after the operation (retention deletes one backup at a time).
 */
class CrashDuringAdminCommand implements StoreCommand {
  constructor(
    readonly op: AdminOp,
    readonly pick: number,
    readonly at: number,
    readonly variant: CrashVariant,
  ) {}
  check(m: Readonly<Model>): boolean {
    if (this.op === "restoreBackup") return m.backups.length > 0;
    if (this.op === "restoreVersion") return m.versions.length > 0;
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const keepBackups = Math.max(1, m.config.backupRetention);
    const keepVersions = Math.max(1, m.config.versionRetention);
    const before = { graph: m.graph, backups: m.backups, versions: m.versions };
    const after = { graph: m.graph, backups: m.backups, versions: m.versions };
    let made: Saved | null = null;
    let run: () => Promise<unknown>;
    switch (this.op) {
      case "backup":
        made = { id: nextId(m), graph: m.graph };
        after.backups = retainBackups(made, m.backups, keepBackups, []);
        run = () => r.store.backup();
        break;
      case "saveVersion":
        made = { id: nextId(m), graph: m.graph };
        after.versions = [made, ...m.versions.slice(0, keepVersions - 1)];
        run = () => r.store.saveVersion();
        break;
      case "restoreBackup": {
        const source = m.backups[this.pick % m.backups.length]!;
        made = { id: nextId(m), graph: m.graph };
        after.backups = retainBackups(made, m.backups, keepBackups, [source.id]);
        after.graph = restored(source.graph, m.graph);
        run = () => r.store.restoreBackup(source.id);
        break;
      }
      case "restoreVersion": {
        const source = m.versions[this.pick % m.versions.length]!;
        made = { id: nextId(m), graph: m.graph };
        after.backups = retainBackups(made, m.backups, keepBackups, []);
        after.graph = restored(source.graph, m.graph);
        run = () => r.store.restoreVersion(source.id);
        break;
      }
      case "compact":
        run = () => r.store.compact();
        break;
    }
    const fs = r.fs;
    let image: CrashImage | null = null;
    let ops = 0;
    fs.afterOp = (_index, entry) => {
      if (!entry.mutates || image !== null) return;
      if (++ops === this.at) image = fs.crashImage(ROOT, this.variant);
    };
    try {
      await run();
    } finally {
      fs.afterOp = undefined;
    }
    if (image === null) image = fs.crashImage(ROOT, this.variant);
    else tally.crashesMidFlight++;
    tally.crashes++;
    const disk = await diskFromImage(image, ROOT);
    await adopt(m, r, disk, await openOn(disk, r));
    // The graph: before, or (a restore) restored.
    const seq = r.store.graph.seq;
    const isAfter = seq === after.graph.seq && after.graph !== before.graph;
    m.graph = isAfter ? after.graph : before.graph;
    await expectInSync(m, r);
    // Backups and versions: what was there, plus the new one once it is complete, minus some
    // of those retention was deleting.
    // (A version and a backup may share an id: they are looked up in their own lists.)
    const between = (what: string, actual: string[], was: readonly Saved[], will: readonly Saved[]) => {
      const isNew = made !== null && will.includes(made) && actual.includes(made.id);
      const [lo, hi] = isNew ? [will, [...was, made!]] : [was, was];
      for (const s of lo) expect(actual, `${what}: ${s.id} is missing`).toContain(s.id);
      for (const id of actual)
        expect(
          hi.map((s) => s.id),
          `${what}: ${id} should not exist`,
        ).toContain(id);
      expect(sortIdsNewestFirst(actual), what).toEqual(actual);
      return actual.map((id) => hi.find((s) => s.id === id)!);
    };
    const backups = (await r.store.listBackups()).map((b) => b.id);
    const versions = (await r.store.listVersions()).map((v) => v.id);
    m.backups = between("backups", backups, before.backups, after.backups);
    m.versions = between("versions", versions, before.versions, after.versions);
    if (isAfter) expect(backups, "a restore without its safety backup").toContain(made!.id);
  }
  toString(): string {
    return `powerLoss(${this.variant}) at disk op ${this.at} of ${this.op}${
      this.op.startsWith("restore") ? `(#${this.pick})` : ""
    }`;
  }
}

// ------------------------------------------------------------------ arbitraries

const variant = fc.constantFrom(...CRASH_VARIANTS);

const commandArbs: fc.Arbitrary<StoreCommand>[] = [
  call.map((c) => new CallCommand(c)),
  call.map((c) => new CallCommand(c)),
  call.map((c) => new CallCommand(c)),
  fc.array(fc.tuple(call, fc.boolean()), { minLength: 2, maxLength: 5 }).map(
    (xs) =>
      new ConcurrentCommand(
        xs.map(([c]) => c),
        xs.map(([, probe]) => probe),
      ),
  ),
  fc.constantFrom(1, 400, 1000, 1000, 61_000).map((ms) => new TickCommand(ms)),
  fc.constant(new CompactCommand()),
  fc.constant(new SaveVersionCommand()),
  fc.constant(new BackupCommand()),
  fc.constant(new BackupCommand()),
  fc.nat().map((pick) => new RestoreBackupCommand(pick)),
  fc.nat().map((pick) => new RestoreVersionCommand(pick)),
  fc.constant(new CloseReopenCommand()),
  fc.constant(new LoseGraphJsonCommand()),
  variant.map((v) => new CrashCommand(v)),
  fc.constantFrom("A", "n1", "\ud800").map((id) => new HugeValueCommand(id)),
  fc
    .record({
      calls: fc.array(call, { minLength: 2, maxLength: 5 }),
      at: fc.integer({ min: 1, max: 14 }),
      variant,
      withCompaction: fc.boolean(),
    })
    .map(
      ({ calls, at, variant, withCompaction }) =>
        new CrashMidFlightCommand(calls, at, variant, withCompaction),
    ),
  fc
    .record({
      op: fc.constantFrom<AdminOp>("backup", "saveVersion", "restoreBackup", "restoreVersion", "compact"),
      pick: fc.nat(),
      at: fc.integer({ min: 1, max: 60 }),
      variant,
    })
    .map(({ op, pick, at, variant }) => new CrashDuringAdminCommand(op, pick, at, variant)),
];

const config: fc.Arbitrary<RunConfig> = fc.record({
  backupRetention: fc.constantFrom(1, 2, 3, 30),
  versionRetention: fc.constantFrom(1, 2, 30),
  compactAfterRecords: fc.constantFrom(2, 5, 100_000),
  hugeValues: fc.oneof(
    { weight: 9, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

// ------------------------------------------------------------------ the property

/**
 * The property: a run of `cmds` from a freshly seeded disk, then a clean close, a reopen and a
 * verification of every stored file. `ignore`: syncs the first disk silently skips (the
 * meta-tests' broken disks).
 */
function modelProperty(ignore: readonly SyncKind[] = []) {
  return fc.asyncProperty(
    config,
    fc.commands(commandArbs, {
      maxCommands: 20,
      size: "max",
      // With the seed and path, replays a shrunk counterexample exactly (its `replayPath`).
      ...(process.env.STORE_MODEL_REPLAY ? { replayPath: process.env.STORE_MODEL_REPLAY } : {}),
    }),
    async (cfg, cmds) => {
      let last: { model: Model; real: Real } | null = null;
      const setup = async () => {
        const clock = new ManualClock(T0);
        const fs = new PowerLossFs({ ignore });
        const { storage, store } = await openOn(fs, { clock, config: cfg });
        const model: Model = {
          graph: seedModel(),
          backups: [],
          versions: [],
          issued: null,
          now: Date.parse(T0),
          config: cfg,
        };
        const real: Real = { fs, storage, store, clock, config: cfg, lastSeq: 0 };
        await expectInSync(model, real);
        last = { model, real };
        return { model, real };
      };
      await fc.asyncModelRun(setup, cmds);
      const { model, real } = last!;
      await new CloseReopenCommand().run(model, real);
      const report = await real.store.verify();
      expect(report.files.filter((f) => !f.ok)).toEqual([]);
      expect(report.ok).toBe(true);
      await real.store.close();
      await real.storage.close();
    },
  );
}

describe("GraphStore against a reference model (hostile values, concurrency, power loss)", () => {
  it(
    `${RUNS} random command sequences keep the store equal to the model of acknowledged changes`,
    async () => {
      for (const key of Object.keys(tally) as (keyof typeof tally)[]) tally[key] = 0;
      const seed = process.env.STORE_MODEL_SEED;
      await fc.assert(modelProperty(), {
        numRuns: RUNS,
        ...(seed ? { seed: Number(seed), path: process.env.STORE_MODEL_PATH } : {}),
      });
      console.info(`store model: ${RUNS} runs, ${JSON.stringify(tally)}`);
      if (RUNS < 100) return; // a replay or a short run: too few runs to expect every outcome
      // The generators reached every kind of outcome (else this test would prove little).
      const floor = Math.ceil(RUNS / 40);
      expect(tally.refusedValue, "calls refused for a value (depth > 64 or non-finite)").toBeGreaterThan(
        floor,
      );
      expect(tally.acceptedAtLimit, "calls accepted with a value 64 deep").toBeGreaterThan(floor);
      expect(tally.refusedOther, "calls refused for other reasons").toBeGreaterThan(floor);
      expect(tally.concurrentMixed, "concurrent commands with both outcomes").toBeGreaterThan(floor);
      expect(tally.readerProbes, "readers during concurrent commits").toBeGreaterThan(floor);
      expect(tally.crashesMidFlight, "power losses mid-flight").toBeGreaterThan(floor);
      expect(tally.partialRecoveries, "power losses that kept part of the calls in flight").toBeGreaterThan(
        0,
      );
      expect(tally.suffixedIds, "ids with a -N suffix").toBeGreaterThan(floor);
      expect(tally.restores, "restores").toBeGreaterThan(floor);
      expect(tally.reopens, "reopens").toBeGreaterThan(floor);
      expect(tally.hugeValues, "values over a MiB").toBeGreaterThan(0);
      expect(tally.rebuilt, "graph.json rebuilt from the journal").toBeGreaterThan(floor);
      expect(tally.lostGraphJson - tally.rebuilt, "rebuilds refused").toBeGreaterThan(floor);
    },
    Math.max(120_000, RUNS * 1_000),
  );
});

describe("the model test catches a missing fsync (meta-tests)", () => {
  // The same property on a disk that silently skips one kind of sync must fail, and for the
  // right reason: an acknowledged change lost at a power loss, or a reader shown a change the
  // disk does not hold durably.
  for (const kind of ["fdatasync", "fsync", "dirsync"] as const) {
    it(`a disk that ignores ${kind} loses acknowledged changes, and the model test says so`, async () => {
      const details = await fc.check(modelProperty([kind]), { numRuns: 200, endOnFailure: true });
      expect(details.failed, `no failure found with ${kind} ignored`).toBe(true);
      // Found at a crash image (a power loss, or the disk image `lose graph.json` starts from),
      // or by a reader shown a change the disk does not hold durably.
      const where = `${details.counterexample?.[1]}\n${details.errorInstance}`;
      expect(where).toMatch(/powerLoss|lose graph\.json|a reader saw a change that was not durable/);
    });
  }
});
