import { ConflictError, DawsosError, IntegrityError } from "../errors/errors.ts";
import { readDocument } from "../format/read-document.ts";
import { assertSubmittedChecksum } from "../format/verify-document.ts";
import { encodeDocument } from "../format/write-document.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphStats } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { assertGraphStorage } from "../storage/graph-capabilities.ts";
import { GraphArchive } from "../store/archive.ts";
import type {
  BackupInfo,
  CommitOptions,
  GraphService,
  RecoveryReport,
  SavedVersion,
  VersionInfo,
} from "../store/graph-service.ts";
import {
  type BuildChanges,
  type CommitResult,
  GraphMutations,
  type Precondition,
  prepareChanges,
} from "../store/mutations.ts";
import { SEED_KEY } from "../store/storage-keys.ts";
import type { IntegrityReport } from "../store/verify-storage.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Mutex } from "../util/mutex.ts";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.ts";
import { type BucketEvent, isPreconditionFailed } from "./bucket-events.ts";
import { type BucketHead, decodeHead, encodeHead, freshHead, journalBytes } from "./bucket-head.ts";
import { HEAD_KEY, journalKey, randomSuffix, snapshotKey } from "./bucket-keys.ts";
import {
  applyRecord,
  importFsLayout,
  MissingObjectError,
  readJournalObject,
  readSnapshotObject,
  removeObjectsBefore,
  unwrapMissing,
} from "./bucket-objects.ts";
import type { BucketGraphStoreOptions, BucketLoadCounters } from "./bucket-options.ts";
import { rebuildFromArchive } from "./bucket-recovery.ts";
import { verifyBucketStorage } from "./bucket-verify.ts";

interface HeadState {
  head: BucketHead;
  etag: string;
}

/**
 * The graph shared by many writers — Worker isolates in many locations — over storage with
 * compare-and-swap (R2). The design (see packages/storage-kv/README.md):
 *
 * - `graph/head.json` names an immutable snapshot and the immutable journal objects after it.
 *   It is the only object ever replaced, and only by compare-and-swap on its etag: a commit is
 *   durable and visible exactly when its head swap succeeds.
 * - A commit reads the head, applies its change records to the in-memory graph, writes its
 *   journal object (create-only, a unique key) and swaps the head. If another writer won, it
 *   undoes, catches up (reads the new journal objects), rebuilds and re-applies its changes on
 *   the fresh state (rebase), and retries after a jittered backoff. A change that no longer
 *   applies fails with its own error; after `maxAttempts` it is a `ConflictError` (`conflict`,
 *   HTTP 409). Either way nothing of it is visible: the head never named it.
 * - The parsed graph stays in memory. `refresh()` reads only the small head; an unchanged etag
 *   costs nothing more, a changed one fetches just the new journal objects, and only a
 *   snapshot this instance cannot reach by replay (compaction past it, a replace) is read whole.
 *
 * Within one instance commits run one at a time, and reads wait for a commit in flight, so a
 * reader never sees changes that are not (yet) committed.
 */
export class BucketGraphStore extends GraphMutations implements GraphService {
  readonly storage: StorageAdapter;
  readonly #options: BucketGraphStoreOptions;
  readonly #clock: Clock;
  readonly #hasher: HasherFactory;
  readonly #backoff: BackoffPolicy;
  readonly #archive: GraphArchive;
  /** One commit, refresh or maintenance operation at a time within this instance. */
  readonly #local = new Mutex();
  #graph = new KnowledgeGraph();
  #state: HeadState | null = null;
  #pendingRefresh: Promise<void> | null = null;
  #closed = false;
  readonly counters: BucketLoadCounters = { revalidations: 0, fullLoads: 0, recordsCaughtUp: 0 };

  private constructor(storage: StorageAdapter, options: BucketGraphStoreOptions) {
    super();
    this.storage = storage;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#hasher = options.hasher ?? createSha256;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#archive = new GraphArchive(storage, {
      hasher: this.#hasher,
      clock: this.#clock,
      versionRetention: options.versionRetention,
      backupRetention: options.backupRetention,
      sharedWriters: true,
      onEvent: (event) => this.#emit(event),
    });
  }

  /**
   * Opens the shared graph in `storage`, initialising an empty bucket from the seed (or from a
   * `graph.json` + `graph.journal` uploaded from a Node storage directory). The storage must be
   * strongly consistent with compare-and-swap.
   */
  static async open(
    storage: StorageAdapter,
    options: BucketGraphStoreOptions = {},
  ): Promise<BucketGraphStore> {
    assertGraphStorage(storage, { requireConditionalWrites: true });
    const store = new BucketGraphStore(storage, options);
    await store.refresh();
    return store;
  }

  get graph(): KnowledgeGraph {
    return this.#graph;
  }

  /** What a writer did when it found the graph damaged (carried in the head, so every isolate reports it). */
  get recovery(): RecoveryReport | null {
    return this.#state?.head.recovery ?? null;
  }

  /** The head this instance last saw (for diagnostics and tests). */
  get head(): BucketHead | null {
    return this.#state?.head ?? null;
  }

  protected now(): string {
    return this.#now();
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  #emit(event: BucketEvent): void {
    this.#options.onEvent?.(event);
  }

  #assertOpen(): void {
    if (this.#closed) throw new DawsosError("storage_error", "the store is closed");
  }

  // ---------------------------------------------------------------- reading and catching up

  /**
   * Brings the graph up to date with the bucket: one small read of the head; more only when
   * another writer changed it. Concurrent callers share one revalidation.
   */
  refresh(): Promise<void> {
    if (this.#pendingRefresh) return this.#pendingRefresh;
    const pending = this.#local.run(async () => {
      this.#pendingRefresh = null;
      await this.#sync();
    });
    this.#pendingRefresh = pending;
    return pending;
  }

  /** Reads the head and moves the in-memory graph to it. Runs under `#local`. */
  async #sync(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.counters.revalidations++;
      const stored = await this.storage.get(HEAD_KEY);
      if (!stored) {
        if (this.#state) throw new IntegrityError("empty_file", "the head disappeared", { file: HEAD_KEY });
        if (await this.#initialise()) return;
        continue;
      }
      if (this.#state?.etag === stored.etag) return;
      const head = decodeHead(stored.body);
      try {
        await this.#moveTo(head);
        this.#state = { head, etag: stored.etag };
        return;
      } catch (err) {
        if (err instanceof IntegrityError) {
          // A damaged snapshot or journal object: never serve it (SPEC section 6).
          if (await this.#recover({ head, etag: stored.etag }, err)) return;
          continue; // another writer changed the head meanwhile: look again
        }
        // An object the head named is gone: a compaction after we read the head removed it.
        // The head has moved on since; read it again.
        if (!(err instanceof MissingObjectError) || attempt >= 5) throw unwrapMissing(err);
      }
    }
  }

  /** Catches up by replaying journal objects when possible, else loads the snapshot. */
  async #moveTo(head: BucketHead): Promise<void> {
    const seq = this.#state ? this.#graph.seq : -1;
    if (seq === head.seq) return; // same graph (e.g. a compaction): nothing to read
    // Every seq is assigned by exactly one successful head swap, so if a journal entry starts
    // at our seq, our graph is the state it applies to.
    const from = head.journal.findIndex((entry) => entry.seq - entry.count === seq);
    if (seq >= head.snapshot.seq && (from >= 0 || seq === head.snapshot.seq)) {
      const entries = head.journal.slice(Math.max(0, from));
      const records = await Promise.all(entries.map((entry) => this.#readRecord(entry)));
      for (const [i, record] of records.entries()) applyRecord(this.#graph, record.changes, entries[i]!.key);
      this.counters.recordsCaughtUp += records.length;
      return;
    }
    const graph = await this.#readSnapshot(head);
    const records = await Promise.all(head.journal.map((entry) => this.#readRecord(entry)));
    for (const [i, record] of records.entries()) applyRecord(graph, record.changes, head.journal[i]!.key);
    this.#graph = graph;
    this.counters.fullLoads++;
    this.#emit({ type: "loaded", seq: graph.seq, records: records.length });
  }

  async #readSnapshot(head: BucketHead): Promise<KnowledgeGraph> {
    const graph = await readSnapshotObject(this.storage, head.snapshot, this.#hasher, this.#now());
    if (!graph) throw new MissingObjectError(head.snapshot.key);
    return graph;
  }

  async #readRecord(entry: BucketHead["journal"][number]) {
    const record = await readJournalObject(this.storage, entry, this.#hasher);
    if (!record) throw new MissingObjectError(entry.key);
    return record;
  }

  /**
   * First open of an empty bucket: the graph from an uploaded `graph.json` (+ `graph.journal`)
   * or the seed, written as the first snapshot and a head created create-only. Returns false
   * when another writer initialised it first (the caller then loads theirs).
   */
  async #initialise(): Promise<boolean> {
    const imported = await importFsLayout(this.storage, this.#hasher, this.#now());
    let graph: KnowledgeGraph;
    if (imported) {
      graph = imported.graph;
    } else {
      const seed = this.#options.seed ?? investmentFrameworkSeed;
      graph = readDocument(seed, { file: "seed", now: this.#now() }).graph;
      if ((await this.storage.get(SEED_KEY)) === null) {
        await this.storage
          .put(SEED_KEY, `${JSON.stringify(seed, null, 2)}\n`, { ifNoneMatch: "*" })
          .catch((err: unknown) => {
            if (!isPreconditionFailed(err)) throw err;
          });
      }
    }
    const snapshot = await this.#writeSnapshot(graph);
    const head: BucketHead = freshHead(snapshot, this.#now());
    try {
      const put = await this.storage.put(HEAD_KEY, encodeHead(head), { ifNoneMatch: "*" });
      this.#graph = graph;
      this.#state = { head, etag: put.etag };
      this.counters.fullLoads++;
      if (imported) this.#emit({ type: "imported", seq: graph.seq, records: imported.records });
      else this.#emit({ type: "seeded", nodes: graph.nodeCount, edges: graph.edgeCount });
      return true;
    } catch (err) {
      await this.storage.delete(snapshot.key).catch(() => undefined);
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  /**
   * The head names a damaged object: rebuild the graph from the newest valid version or backup
   * (plus the head's journal records that continue it), keep a copy of the damaged bytes under
   * `graph/damaged/`, and swap in a head naming a fresh snapshot with a `seq` past the damaged
   * one, carrying the report. With nothing valid to recover from, refuses (the error names the
   * damaged object). False when another writer changed the head first.
   */
  async #recover(state: HeadState, error: IntegrityError): Promise<boolean> {
    const { graph, report } = await rebuildFromArchive(this.storage, state.head, error, {
      hasher: this.#hasher,
      clock: this.#clock,
    });
    const snapshot = await this.#writeSnapshot(graph);
    const swapped = await this.#swapHead(state, freshHead(snapshot, this.#now(), report));
    if (!swapped) {
      await this.storage.delete(snapshot.key).catch(() => undefined);
      return false;
    }
    this.#graph = graph;
    this.counters.fullLoads++;
    this.#emit({ type: "recovered", report });
    return true;
  }

  /** Writes an immutable snapshot object of `graph` (create-only, unique key). */
  async #writeSnapshot(graph: KnowledgeGraph): Promise<BucketHead["snapshot"]> {
    const { bytes, checksum } = await encodeDocument(graph, this.#hasher);
    const key = snapshotKey(graph.seq, randomSuffix());
    await this.storage.put(key, bytes, { ifNoneMatch: "*" });
    return { key, seq: graph.seq, checksum };
  }

  // ---------------------------------------------------------------- committing

  /** Swaps the head from `state` to `next`; false when another writer swapped it first. */
  async #swapHead(state: HeadState, next: BucketHead): Promise<boolean> {
    try {
      const put = await this.storage.put(HEAD_KEY, encodeHead(next), { ifMatch: state.etag });
      this.#state = { head: next, etag: put.etag };
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  /** Waits before the next attempt, or gives up with a 409 when attempts ran out. */
  async #backoffOrGiveUp(attempt: number, what: string): Promise<void> {
    if (attempt >= this.#backoff.maxAttempts) {
      this.#emit({ type: "conflict_gave_up", attempts: attempt });
      throw new ConflictError(`${what}: the graph kept changing under ${attempt} attempts; try again`, {
        details: { attempts: attempt },
      });
    }
    const delayMs = backoffDelay(this.#backoff, attempt, this.#options.random ?? Math.random);
    this.#emit({ type: "conflict_retry", attempt, delayMs });
    await (this.#options.sleep ?? sleep)(delayMs);
  }

  /**
   * The commit loop. `build` runs against the fresh graph on every attempt (precondition
   * first), so a retry rebases the change onto what other writers committed; `result` reads
   * the outcome before anyone else can change the graph.
   */
  protected async commitWith<T>(build: BuildChanges, check: Precondition, read: CommitResult<T>): Promise<T> {
    this.#assertOpen();
    return this.#local.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const state = await this.#syncedState();
        const graph = this.#graph;
        check?.(graph);
        const changes = build(graph);
        if (changes.length === 0) return read(graph, graph.seq);
        // Validated and encoded before it applies; a change that does not apply throws cleanly.
        const { line, undo } = prepareChanges(graph, changes, this.#hasher);
        const seq = graph.seq;
        const key = journalKey(seq - changes.length, randomSuffix());
        let swapped: boolean;
        try {
          const bytes = new TextEncoder().encode(line);
          await this.storage.put(key, bytes, { ifNoneMatch: "*" });
          swapped = await this.#swapHead(state, {
            ...state.head,
            seq,
            journal: [...state.head.journal, { key, seq, count: changes.length, bytes: bytes.length }],
            updated: this.#now(),
          });
        } catch (err) {
          // Unknown outcome of a storage failure: the object stays (the head may name it).
          undo();
          throw err;
        }
        if (swapped) {
          const value = read(graph, seq);
          await this.#maybeCompact();
          return value;
        }
        undo();
        // Nobody can ever name this object now (the head it was written against is gone).
        await this.storage.delete(key).catch(() => undefined);
        await this.#backoffOrGiveUp(attempt, "commit");
      }
    });
  }

  /** `#sync`, then the head it left. */
  async #syncedState(): Promise<HeadState> {
    await this.#sync();
    return this.#current();
  }

  /** The head this instance last saw (every successful sync or swap sets it). */
  #current(): HeadState {
    const state = this.#state;
    if (!state) throw new IntegrityError("empty_file", "the bucket has no head", { file: HEAD_KEY });
    return state;
  }

  // ---------------------------------------------------------------- compaction

  async #maybeCompact(): Promise<void> {
    const head = this.#current().head;
    const records = this.#options.compactAfterRecords ?? 64;
    const bytes = this.#options.compactAfterBytes ?? 1024 * 1024;
    if (head.journal.length < records && journalBytes(head) < bytes) return;
    try {
      await this.#compactLocked();
    } catch (error) {
      // The commit is already durable; compaction is retried after the next one.
      this.#emit({ type: "compaction_failed", error });
    }
  }

  /**
   * Writes a snapshot of the graph at seq S and swaps in a head naming it, keeping the journal
   * entries after S (other writers may have committed meanwhile: their records stay). Then
   * removes objects no head can name any more: snapshots and journal objects before S.
   */
  async #compactLocked(): Promise<{ checksum: string; seq: number }> {
    await this.#sync();
    const started = Date.now();
    const snapshot = await this.#writeSnapshot(this.#graph);
    for (let attempt = 1; ; attempt++) {
      const state = this.#current();
      const head = state.head;
      if (head.snapshot.seq >= snapshot.seq) {
        // Someone compacted at least as far (or replaced the graph): ours is not needed.
        await this.storage.delete(snapshot.key).catch(() => undefined);
        return { checksum: head.snapshot.checksum, seq: head.snapshot.seq };
      }
      const keep = head.journal.filter((entry) => entry.seq - entry.count >= snapshot.seq);
      const continues =
        keep.length === 0 ? head.seq === snapshot.seq : keep[0]!.seq - keep[0]!.count === snapshot.seq;
      if (!continues) {
        await this.storage.delete(snapshot.key).catch(() => undefined);
        return { checksum: head.snapshot.checksum, seq: head.snapshot.seq };
      }
      const swapped = await this.#swapHead(state, { ...head, snapshot, journal: keep, updated: this.#now() });
      if (swapped) {
        this.#emit({
          type: "compacted",
          seq: snapshot.seq,
          records: head.journal.length - keep.length,
          ms: Date.now() - started,
        });
        await this.#removeObjectsBefore(snapshot.seq);
        return { checksum: snapshot.checksum, seq: snapshot.seq };
      }
      await this.#backoffOrGiveUp(attempt, "compaction");
      await this.#sync();
    }
  }

  /** Deletes objects no head can name any more (best effort; see `removeObjectsBefore`). */
  async #removeObjectsBefore(seq: number): Promise<void> {
    try {
      await removeObjectsBefore(this.storage, seq);
    } catch (error) {
      this.#emit({ type: "cleanup_failed", error });
    }
  }

  /** Folds the journal into a new snapshot now. */
  async compact(): Promise<{ checksum: string; seq: number }> {
    this.#assertOpen();
    return this.#local.run(() => this.#compactLocked());
  }

  async save(): Promise<{ checksum: string; seq: number }> {
    return this.compact();
  }

  // ---------------------------------------------------------------- replacing the graph

  /**
   * Makes `graph` the current graph with a `seq` past the current one (ETags never repeat and
   * no journal object can apply to it), after a backup of the state it replaces. Retried like
   * a commit; the backup of each attempt holds exactly the state that attempt replaces.
   */
  async #replaceLocked(
    graph: KnowledgeGraph,
    precondition: ((current: KnowledgeGraph) => void) | undefined,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await this.#sync();
      const state = this.#current();
      precondition?.(this.#graph);
      const backup = await this.#backupLocked();
      graph.advanceSeq(this.#graph.seq + 1);
      const snapshot = await this.#writeSnapshot(graph);
      const swapped = await this.#swapHead(state, freshHead(snapshot, this.#now()));
      if (swapped) {
        this.#graph = graph;
        await this.#removeObjectsBefore(graph.seq);
        return backup.id;
      }
      await this.storage.delete(snapshot.key).catch(() => undefined);
      await this.#backoffOrGiveUp(attempt, "replace");
    }
  }

  async replaceGraph(
    document: unknown,
    options: Pick<CommitOptions, "precondition"> = {},
  ): Promise<GraphStats> {
    this.#assertOpen();
    const { graph } = readDocument(document, { file: "document", now: this.#now() });
    assertSubmittedChecksum(document, this.#hasher);
    await this.#local.run(() => this.#replaceLocked(graph, options.precondition));
    return graph.stats();
  }

  // ---------------------------------------------------------------- versions and backups

  async saveVersion(): Promise<SavedVersion> {
    this.#assertOpen();
    return this.#local.run(async () => {
      await this.#sync();
      const document = await encodeDocument(this.#graph, this.#hasher);
      return this.#archive.saveVersion(document);
    });
  }

  async listVersions(): Promise<VersionInfo[]> {
    return this.#archive.listVersions();
  }

  async restoreVersion(id: string): Promise<GraphStats> {
    this.#assertOpen();
    const graph = await this.#archive.loadVersion(id, this.#now());
    return this.#local.run(async () => {
      const backup = await this.#replaceLocked(graph, undefined);
      this.#emit({ type: "restored", from: `version ${id}`, backup });
      return graph.stats();
    });
  }

  async #backupLocked(): Promise<BackupInfo> {
    const document = await encodeDocument(this.#graph, this.#hasher);
    return this.#archive.createBackup(document, this.#graph.seq);
  }

  async backup(): Promise<BackupInfo> {
    this.#assertOpen();
    return this.#local.run(async () => {
      await this.#sync();
      return this.#backupLocked();
    });
  }

  async listBackups(): Promise<BackupInfo[]> {
    return this.#archive.listBackups();
  }

  async restoreBackup(id: string): Promise<GraphStats> {
    this.#assertOpen();
    const { manifest, graph } = await this.#archive.readBackup(id, this.#now());
    return this.#local.run(async () => {
      const safety = await this.#replaceLocked(graph, undefined);
      // After the swap: a restore that gave up leaves the state files as they were.
      await this.#archive.restoreStateFiles(manifest);
      this.#emit({ type: "restored", from: `backup ${id}`, backup: safety });
      return graph.stats();
    });
  }

  async deleteBackup(id: string): Promise<void> {
    this.#assertOpen();
    await this.#archive.deleteBackup(id);
  }

  // ---------------------------------------------------------------- integrity and close

  async verify(): Promise<IntegrityReport> {
    return verifyBucketStorage(this.storage, { hasher: this.#hasher, now: this.#now() });
  }

  /** Nothing to flush: every acknowledged change is already in the bucket. Refuses writes after. */
  async close(): Promise<void> {
    await this.#local.run(async () => {
      this.#closed = true;
    });
  }
}
