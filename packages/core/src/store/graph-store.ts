import type { ChangeFeed } from "../changes/change-feed.ts";
import { ChangeLog } from "../changes/change-log.ts";
import type { ChangeRecord } from "../changes/change-record.ts";
import type { ChangeRetention } from "../changes/change-retention.ts";
import {
  listSegments,
  pruneSegments,
  readSegments,
  recordFromJournal,
  writeSegment,
} from "../changes/change-segments.ts";
import type { ChangeAudit, ChangeSource } from "../changes/change-source.ts";
import { DawsosError, ReadOnlyError } from "../errors/errors.ts";
import { readDocument } from "../format/read-document.ts";
import { assertSubmittedChecksum } from "../format/verify-document.ts";
import { captureSnapshot } from "../format/write-document.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphStats } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { type Durability, JournalWriter } from "../journal/journal-writer.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { assertGraphStorage } from "../storage/graph-capabilities.ts";
import { listedSize } from "../storage/metered-reads.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Mutex } from "../util/mutex.ts";
import type { OnProgress } from "../util/progress.ts";
import { type ArchiveEvent, GraphArchive } from "./archive.ts";
import { compactionDue } from "./compaction-policy.ts";
import type {
  AuditOptions,
  BackupInfo,
  GraphService,
  ReplaceOptions,
  SavedVersion,
  VersionInfo,
} from "./graph-service.ts";
import { type LoadEvent, type LoadedStore, loadStore } from "./load-store.ts";
import {
  type BuildChanges,
  type CommitResult,
  GraphMutations,
  type Precondition,
  prepareChanges,
} from "./mutations.ts";
import {
  acknowledgeRecoveries,
  type RecoveryReport,
  readPendingRecoveries,
  recordRecovery,
} from "./recovery-report.ts";
import { copyStored, writeSnapshotTo } from "./snapshot-io.ts";
import { GRAPH_KEY, JOURNAL_KEY, SEED_KEY } from "./storage-keys.ts";
import { assertTimestampId } from "./timestamp-ids.ts";
import { type IntegrityReport, verifyStorage, withRecoveries } from "./verify-storage.ts";

const RESOLVED: Promise<void> = Promise.resolve();

export interface GraphStoreOptions {
  /** Document used to initialise an empty storage (any accepted format). Default: the shipped seed. */
  seed?: unknown;
  clock?: Clock;
  /** Incremental SHA-256; Node injects `node:crypto` for speed. */
  hasher?: HasherFactory;
  /** When a change is acknowledged (see `Durability`). Default `"fsync"`. */
  durability?: Durability;
  /** Upper bound on the fdatasync delay in `"batched"` mode. Default 50 ms. */
  batchDelayMs?: number;
  /**
   * Compact (fold the journal into `graph.json`) past this journal size. Default: the size of
   * `graph.json`, at least 64 MiB and at most 256 MiB (see `compactionDue` for why it grows).
   */
  compactAfterBytes?: number;
  /** … or past this many journal records. Default: the graph's nodes + edges, at least 100,000 and at most 1,000,000. */
  compactAfterRecords?: number;
  /** Versions kept (newest first). Default 20. */
  versionRetention?: number;
  /** Backups kept (newest first). Default 30. */
  backupRetention?: number;
  /** Never write: recovery happens in memory only. */
  readOnly?: boolean;
  /** The source recorded for commits that name none (`CommitOptions.source`). Default `"api"`. */
  source?: ChangeSource;
  /**
   * The change feed's retained tail (`changes/` segments): records and age. Default 10,000
   * records, 7 days.
   */
  changeRetention?: Partial<ChangeRetention>;
  /** Structured events: seeding, migration, recovery, compaction, backups. */
  onEvent?: (event: StoreEvent) => void;
  /**
   * Progress of the long steps, measured as they run: reading `graph.json` on open, writing
   * it (compaction, replace, restore), backing up, checking and reading a backup or version,
   * verifying. For a display such as the CLI's progress bar; the server passes none.
   */
  onProgress?: OnProgress;
}

export type StoreEvent =
  | LoadEvent
  | ArchiveEvent
  | { type: "seeded"; nodes: number; edges: number }
  | { type: "migrated"; from: string; backup: string }
  | { type: "recovered"; report: RecoveryReport }
  | { type: "compacted"; seq: number; records: number; ms: number }
  | { type: "compaction_failed"; error: unknown }
  | { type: "sync_failed"; error: unknown }
  | { type: "restored"; from: string; backup: string }
  /** A change segment could not be written (the feed's history restarts on the next open). */
  | { type: "changes_failed"; error: unknown };

/**
 * The graph over a storage adapter (SPEC sections 3, 4, 6): the single writer of a storage
 * directory. What is its own: the journal (group commit), snapshots and compaction.
 *
 * - Open (`loadStore`) loads `graph.json` (streamed and verified), replays the journal records
 *   newer than its `seq`, seeds an empty storage, and recovers from damage.
 * - Every mutation is one journal record; its promise resolves once the record is durable
 *   (group commit: concurrent mutations share one write and one fdatasync). Changes are applied
 *   in memory only while their group is written: readers that `await refresh()` see durable
 *   changes only.
 * - Compaction folds the journal into a new `graph.json` when it grows, on `save()` and on
 *   `close()`, without blocking writers while the snapshot is serialised.
 * - Versions, backups and restore go through the shared `GraphArchive`.
 *
 * One instance per storage directory, one writer (the filesystem adapter's lock enforces it).
 * The storage must be strongly consistent, with a durable append or compare-and-swap
 * (`assertGraphStorage`): never Workers KV.
 */
export class GraphStore extends GraphMutations implements GraphService {
  readonly storage: StorageAdapter;
  readonly #clock: Clock;
  #lastStampMs = Number.NaN;
  #lastStamp = "";
  readonly #hasher: HasherFactory;
  readonly #options: GraphStoreOptions;
  readonly #archive: GraphArchive;
  /** `null` when opened read-only: every write is refused before it would need one. */
  readonly #writer: JournalWriter | null;
  #graph: KnowledgeGraph;
  #checksum: string | null;
  #recovery: RecoveryReport | null = null;
  /** Set while commits must wait (snapshot capture, journal reset, graph replacement). */
  #barrier: Promise<void> | null = null;
  /** Serialises compaction, backups, versions, restores and close. */
  readonly #admin = new Mutex();
  #compaction: Promise<unknown> | null = null;
  #closed = false;
  /** The retained changes (acknowledged only): the change feed and node histories. */
  readonly #changes: ChangeLog;
  /** The newest seq already in a `changes/` segment. */
  #persistedSeq: number;
  /** Bytes of `graph.json` as last written or found at open: scales the compaction threshold. */
  #snapshotBytes = 0;

  private constructor(
    storage: StorageAdapter,
    options: GraphStoreOptions,
    loaded: LoadedStore,
    writer: JournalWriter | null,
    changes: { log: ChangeLog; persistedSeq: number },
  ) {
    super();
    this.#changes = changes.log;
    this.#persistedSeq = changes.persistedSeq;
    this.storage = storage;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#hasher = options.hasher ?? createSha256;
    this.#graph = loaded.graph;
    this.#checksum = loaded.checksum;
    this.#writer = writer;
    this.#archive = new GraphArchive(storage, {
      hasher: this.#hasher,
      clock: this.#clock,
      versionRetention: options.versionRetention,
      backupRetention: options.backupRetention,
      onEvent: (event) => this.#emit(event),
      onProgress: options.onProgress,
    });
  }

  /** Opens the graph stored in `storage`, initialising it from the seed when it is empty. */
  static async open(storage: StorageAdapter, options: GraphStoreOptions = {}): Promise<GraphStore> {
    assertGraphStorage(storage);
    const clock = options.clock ?? systemClock;
    const hasher = options.hasher ?? createSha256;
    const readOnly = options.readOnly === true;
    const loaded = await loadStore(storage, {
      hasher,
      now: () => clock.now(),
      readOnly,
      seed: options.seed,
      emit: (event) => options.onEvent?.(event),
      onProgress: options.onProgress,
    });
    let store: GraphStore | null = null;
    const writer = readOnly
      ? null
      : await JournalWriter.open(storage, JOURNAL_KEY, {
          records: loaded.journal.records,
          cutTo: loaded.journal.cutTo,
          durability: options.durability,
          batchDelayMs: options.batchDelayMs,
          afterWrite: () => {
            if (store) store.#maybeCompact();
          },
          onSyncError: (error) => options.onEvent?.({ type: "sync_failed", error }),
        });
    const changes = await openChangeLog(storage, loaded, hasher, clock, options.changeRetention);
    store = new GraphStore(storage, options, loaded, writer, changes);
    if (writer && options.compactAfterBytes === undefined) {
      store.#snapshotBytes = (await listedSize(storage, GRAPH_KEY)) ?? 0;
    }
    await store.#finishOpen(loaded);
    return store;
  }

  /** Writes what opening left to write, then reports a recovery (kept until acknowledged). */
  async #finishOpen(loaded: LoadedStore): Promise<void> {
    if (!this.readOnly) {
      const finish = loaded.finish;
      if (finish.kind === "migrate") {
        // A graph.json of the original Python DawsOS: keep the original bytes in a backup,
        // then write it in our format.
        const backup = await this.#archive.createBackup({ bytes: finish.bytes }, this.#graph.seq);
        await this.#compactLocked(true);
        this.#emit({ type: "migrated", from: finish.from, backup: backup.id });
      } else if (finish.kind === "seed") {
        // graph.json first: a crash before the seed file is written leaves a storage that
        // opens normally, while seeded_graph.json without graph.json always means damage.
        // Nothing has changed the graph since (no writer has the store yet), so the seed file
        // is the same document: copied, not serialised a second time.
        await this.#compactLocked(true);
        await copyStored(this.storage, GRAPH_KEY, SEED_KEY);
        this.#emit({ type: "seeded", nodes: this.#graph.nodeCount, edges: this.#graph.edgeCount });
      } else if (finish.kind === "compact") {
        await this.#compactLocked(true);
      }
      await this.#archive.removeIncompleteBackups();
    }
    if (loaded.recovery) {
      this.#recovery = { ...loaded.recovery, at: this.#now() };
      if (!this.readOnly) await recordRecovery(this.storage, this.#recovery);
      this.#emit({ type: "recovered", report: this.#recovery });
    }
  }

  /** The live graph. Read from it freely (after `refresh()`); change it only through the store. */
  get graph(): KnowledgeGraph {
    return this.#graph;
  }

  get readOnly(): boolean {
    return this.#options.readOnly === true;
  }

  /** Set when open had to recover from damage. */
  get recovery(): RecoveryReport | null {
    return this.#recovery;
  }

  /**
   * Waits until memory holds only acknowledged changes: resolves at once when no group is being
   * written, else when the group in flight settles. Read `graph` synchronously after awaiting
   * it (the API does, once per request) and you never see a change that is not durable, nor
   * one that is rolled back.
   */
  refresh(): Promise<void> {
    return this.#writer?.settled() ?? RESOLVED;
  }

  /**
   * The change feed: acknowledged changes with their audit fields, retained per
   * `changeRetention` across compactions (`changes/` segments).
   */
  get changes(): ChangeFeed {
    return this.#changes;
  }

  /** Checksum of the last snapshot written or loaded. */
  get checksum(): string | null {
    return this.#checksum;
  }

  /** Journal size in bytes and records since the last compaction. */
  get journal(): { bytes: number; records: number } {
    return { bytes: this.#writer?.size ?? 0, records: this.#writer?.records ?? 0 };
  }

  protected now(): string {
    return this.#now();
  }

  protected override defaultSource(): ChangeSource {
    return this.#options.source ?? "api";
  }

  #now(): string {
    // Every commit stamps one or two timestamps: formatting one costs more than the rest of a
    // small commit's bookkeeping, and under load many commits share a millisecond.
    const ms = this.#clock.now().getTime();
    if (ms !== this.#lastStampMs) {
      this.#lastStampMs = ms;
      this.#lastStamp = new Date(ms).toISOString();
    }
    return this.#lastStamp;
  }

  #emit(event: StoreEvent): void {
    this.#options.onEvent?.(event);
  }

  /** Progress of writing `graph` as a snapshot: its entries, of which there are this many. */
  #writeProgress(graph: KnowledgeGraph): { onProgress?: OnProgress; records: number } {
    return {
      onProgress: this.#options.onProgress,
      records: graph.nodeCount + graph.edgeCount + graph.patternCount,
    };
  }

  /** The journal, or `ReadOnlyError`/closed: every write starts here. */
  #journal(): JournalWriter {
    if (!this.#writer) throw new ReadOnlyError();
    if (this.#closed) throw new DawsosError("storage_error", "the store is closed");
    return this.#writer;
  }

  // ---------------------------------------------------------------- commits

  protected async commitWith<T>(
    build: BuildChanges,
    check: Precondition,
    read: CommitResult<T>,
    audit: ChangeAudit,
  ): Promise<T> {
    this.#journal();
    while (this.#barrier) await this.#barrier;
    const writer = this.#journal();
    const out: { value?: T } = {};
    await writer.submit(() => {
      const graph = this.#graph;
      check?.(graph);
      const changes = build(graph);
      if (changes.length === 0) {
        out.value = read(graph, graph.seq);
        return null;
      }
      const at = this.#now();
      const from = graph.seq;
      const prepared = prepareChanges(graph, changes, this.#hasher, { at, ...audit });
      out.value = read(graph, graph.seq);
      const record: ChangeRecord = { seq: graph.seq, from, at, source: audit.source, changes };
      if (audit.actor !== undefined) record.actor = audit.actor;
      return { line: prepared.line, undo: prepared.undo, acknowledged: () => this.#changes.append(record) };
    });
    return out.value as T;
  }

  // ---------------------------------------------------------------- compaction

  /**
   * Holds new commits back while `fn` runs, after the journal has drained: memory then equals
   * what is durable, which is what a snapshot or a graph swap needs.
   */
  async #withBarrier<T>(fn: () => Promise<T> | T): Promise<T> {
    while (this.#barrier) await this.#barrier;
    let release!: () => void;
    this.#barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await this.#writer?.drain();
      return await fn();
    } finally {
      this.#barrier = null;
      release();
    }
  }

  #maybeCompact(): void {
    const writer = this.#writer;
    if (!writer || this.#compaction || this.#closed) return;
    const graph = this.#graph;
    const due = compactionDue(
      { bytes: writer.size, records: writer.records },
      { snapshotBytes: this.#snapshotBytes, records: graph.nodeCount + graph.edgeCount },
      this.#options,
    );
    if (!due) return;
    this.#compaction = this.#admin
      .run(() => this.#compactLocked(false))
      .catch((error: unknown) => this.#emit({ type: "compaction_failed", error }))
      .finally(() => {
        this.#compaction = null;
      });
  }

  /**
   * Folds the journal into `graph.json`. Crash-safe at every step, because the snapshot's
   * `seq` decides which records replay:
   *   1. (barrier) capture an immutable view of the graph at seq S; start collecting the
   *      journal lines written from now on;
   *   2. (writers continue) stream the view to `graph.json` — crash-safe replace;
   *   3. (barrier) replace `graph.journal` with just the lines written since step 1 (all with
   *      seq > S), and continue appending to the new file.
   * A crash before 2 completes leaves the old snapshot and the full journal; between 2 and 3,
   * the new snapshot and a journal whose records ≤ S are skipped on load.
   */
  async #compactLocked(force: boolean): Promise<{ checksum: string; seq: number }> {
    const writer = this.#journal();
    if (!force && writer.records === 0 && this.#checksum !== null) {
      return { checksum: this.#checksum, seq: this.#graph.seq };
    }
    const started = Date.now();
    const { snapshot, progress } = await this.#withBarrier(async () => {
      await writer.sync();
      writer.mark();
      // Counted with the snapshot: writers may change the graph while it is written.
      return { snapshot: captureSnapshot(this.#graph), progress: this.#writeProgress(this.#graph) };
    });
    let written: { checksum: string; size: number };
    try {
      written = await writeSnapshotTo(this.storage, GRAPH_KEY, snapshot, this.#hasher, progress);
    } catch (err) {
      writer.takeMarked();
      throw err;
    }
    // The records this snapshot folds leave the journal next: keep the retained ones first.
    try {
      await this.#persistChanges(snapshot.seq);
    } catch (err) {
      writer.takeMarked();
      throw err;
    }
    const folded = writer.records;
    await this.#withBarrier(async () => {
      await writer.sync();
      const tail = writer.takeMarked();
      await writer.rewrite(tail.join(""), tail.length);
    });
    this.#checksum = written.checksum;
    this.#snapshotBytes = written.size;
    this.#emit({ type: "compacted", seq: snapshot.seq, records: folded, ms: Date.now() - started });
    return { checksum: written.checksum, seq: snapshot.seq };
  }

  /**
   * Writes the retained records up to `upTo` that no segment holds yet as one `changes/`
   * segment, then deletes the segments that fell out of retention. Runs before the journal
   * loses those records (a crash in between leaves them in both: deduplicated on open).
   */
  async #persistChanges(upTo: number): Promise<void> {
    this.#changes.trim();
    const pending = this.#changes.records().filter((r) => r.seq > this.#persistedSeq && r.seq <= upTo);
    await writeSegment(this.storage, pending, this.#hasher);
    if (pending.length > 0) this.#persistedSeq = pending[pending.length - 1]!.seq;
    await pruneSegments(this.storage, this.#changes.floor);
  }

  /**
   * Folds the journal into a fresh `graph.json` snapshot (also done automatically when the
   * journal grows, and on close). Writers keep going while the snapshot is written.
   */
  async compact(): Promise<{ checksum: string; seq: number }> {
    this.#journal();
    return this.#admin.run(() => this.#compactLocked(true));
  }

  /** Writes a full snapshot of the current graph to `graph.json` (same as `compact`). */
  async save(): Promise<{ checksum: string; seq: number }> {
    return this.compact();
  }

  // ---------------------------------------------------------------- versions and backups

  /** Full snapshot plus a versioned copy `graph_YYYYmmdd_HHMMSS.json`; prunes old versions. */
  async saveVersion(): Promise<SavedVersion> {
    this.#journal();
    return this.#admin.run(async () => {
      const { checksum } = await this.#compactLocked(false);
      return this.#archive.saveVersion({ key: GRAPH_KEY, checksum });
    });
  }

  /** Saved versions, newest first. */
  listVersions(): Promise<VersionInfo[]> {
    return this.#archive.listVersions();
  }

  /** The graph becomes that version (a backup of the current state is made first). */
  async restoreVersion(id: string, options: AuditOptions = {}): Promise<GraphStats> {
    assertTimestampId(id, "version");
    this.#journal();
    const audit = this.auditOf({ ...options, source: options.source ?? "restore" });
    return this.#admin.run(async () => {
      const graph = await this.#archive.loadVersion(id, this.#now());
      const backup = await this.#backupLocked();
      await this.#replace(graph, audit);
      this.#emit({ type: "restored", from: `graph_${id}.json`, backup: backup.id });
      return graph.stats();
    });
  }

  /**
   * Replaces the whole graph with a document in any accepted format (SPEC `PUT /api/graph`,
   * `dawsos import`). Validates first (nothing changes on bad input), then backs up.
   */
  async replaceGraph(document: unknown, options: ReplaceOptions = {}): Promise<GraphStats> {
    this.#journal();
    const audit = this.auditOf({ ...options, source: options.source ?? "import" });
    // Validate first (value domain, nesting, references), then the checksum: a bad document
    // fails before anything — backups included — is written.
    const { graph } = readDocument(document, { file: "document", now: this.#now() });
    assertSubmittedChecksum(document, this.#hasher);
    return this.#admin.run(async () => {
      await this.#withBarrier(() => options.precondition?.(this.#graph));
      await this.#backupLocked();
      await this.#replace(graph, audit, options.precondition);
      return graph.stats();
    });
  }

  /**
   * Swaps in `graph` with a `seq` past the current one (so ETags never repeat and no old
   * journal record can replay onto it): new snapshot first, then an empty journal.
   */
  async #replace(
    graph: KnowledgeGraph,
    audit: ChangeAudit,
    precondition?: (current: KnowledgeGraph) => void,
  ): Promise<void> {
    const writer = this.#journal();
    await this.#withBarrier(async () => {
      precondition?.(this.#graph);
      // The journal is about to be emptied: its retained records go to a segment first.
      await this.#persistChanges(this.#graph.seq);
      const from = this.#graph.seq;
      graph.advanceSeq(this.#graph.seq + 1);
      const { checksum, size } = await writeSnapshotTo(
        this.storage,
        GRAPH_KEY,
        captureSnapshot(graph),
        this.#hasher,
        this.#writeProgress(graph),
      );
      this.#graph = graph;
      this.#checksum = checksum;
      this.#snapshotBytes = size;
      await writer.rewrite("", 0);
      await this.#recordReplacement({
        seq: graph.seq,
        from,
        at: this.#now(),
        source: audit.source,
        ...(audit.actor === undefined ? {} : { actor: audit.actor }),
        changes: [],
        replaced: { nodes: graph.nodeCount, edges: graph.edgeCount, patterns: graph.patternCount },
      });
    });
  }

  /**
   * The feed record of a replacement: its own segment, then the feed. The graph is already
   * swapped (and acknowledged): if the segment cannot be written, the feed still shows it
   * until a restart, after which history starts at the new graph (reported as an event).
   */
  async #recordReplacement(record: ChangeRecord): Promise<void> {
    try {
      if (this.#changes.retention.maxRecords > 0) {
        await writeSegment(this.storage, [record], this.#hasher);
        this.#persistedSeq = record.seq;
      }
    } catch (error) {
      this.#emit({ type: "changes_failed", error });
    }
    this.#changes.append(record);
  }

  /** A full backup: the graph snapshot and every top-level `*.json` state file, with a manifest. */
  async backup(): Promise<BackupInfo> {
    this.#journal();
    return this.#admin.run(() => this.#backupLocked());
  }

  /** A fresh snapshot, then the backup (runs under `#admin`); `protect` survives retention. */
  async #backupLocked(protect: readonly string[] = []): Promise<BackupInfo> {
    await this.#compactLocked(false);
    return this.#archive.createBackup({ key: GRAPH_KEY }, this.#graph.seq, protect);
  }

  /** Complete backups (with a manifest), newest first. */
  listBackups(): Promise<BackupInfo[]> {
    return this.#archive.listBackups();
  }

  /** Restores a backup after checking every file against its manifest (a backup of the current state is made first). */
  async restoreBackup(id: string, options: AuditOptions = {}): Promise<GraphStats> {
    assertTimestampId(id, "backup");
    this.#journal();
    const audit = this.auditOf({ ...options, source: options.source ?? "restore" });
    return this.#admin.run(async () => {
      const { manifest, graph } = await this.#archive.readBackup(id, this.#now());
      // The backup being restored must survive the retention the safety backup applies.
      const safety = await this.#backupLocked([id]);
      await this.#archive.restoreStateFiles(manifest);
      await this.#replace(graph, audit);
      this.#emit({ type: "restored", from: `backups/${id}/`, backup: safety.id });
      return graph.stats();
    });
  }

  /** Deletes a backup. The manifest goes first, so an interrupted delete leaves an incomplete backup, never a wrong one. */
  async deleteBackup(id: string): Promise<void> {
    assertTimestampId(id, "backup");
    this.#journal();
    return this.#admin.run(() => this.#archive.deleteBackup(id));
  }

  // ---------------------------------------------------------------- integrity and close

  /**
   * Verifies every stored file: graph, journal, versions, backups, seed and workflow history,
   * plus the recoveries no operator has acknowledged yet.
   */
  async verify(): Promise<IntegrityReport> {
    const report = await verifyStorage(this.storage, {
      hasher: this.#hasher,
      now: this.#now(),
      onProgress: this.#options.onProgress,
    });
    const pending = await readPendingRecoveries(this.storage);
    // A read-only open recovers in memory only: its report is not stored, but it is just as real.
    const own = this.#recovery;
    if (own && !pending.some((r) => r.at === own.at)) pending.push(own);
    return withRecoveries(report, pending);
  }

  /**
   * Acknowledges the pending recovery reports (`dawsos verify --ack-recovery`): `verify` stops
   * reporting them. Returns how many there were.
   */
  async acknowledgeRecovery(): Promise<number> {
    this.#journal();
    return this.#admin.run(() => acknowledgeRecoveries(this.storage, this.#clock.now()));
  }

  /**
   * Makes every acknowledged change durable, folds the journal into `graph.json`, and refuses
   * further writes. Safe to call twice. The caller closes the storage adapter (releasing the
   * filesystem lock) afterwards.
   */
  async close(): Promise<void> {
    const writer = this.#writer;
    if (this.#closed || !writer) {
      this.#closed = true;
      return;
    }
    await this.#admin.run(async () => {
      if (this.#closed) return;
      await this.#compactLocked(false);
      await writer.sync();
      this.#closed = true;
      await writer.close();
    });
  }
}

/**
 * The change feed as stored: the `changes/` segments, then the journal's records, as far back
 * as they continue each other without a gap from the graph's `seq`.
 */
async function openChangeLog(
  storage: StorageAdapter,
  loaded: LoadedStore,
  hasher: HasherFactory,
  clock: Clock,
  retention: Partial<ChangeRetention> | undefined,
): Promise<{ log: ChangeLog; persistedSeq: number }> {
  const segments = await readSegments(storage, hasher);
  const journal = (loaded.journal.kept ?? []).map(recordFromJournal);
  const log = ChangeLog.fromRecords([...segments.records, ...journal], loaded.graph.seq, {
    retention,
    now: () => clock.now().getTime(),
  });
  // Damaged segments count as written: they are never rewritten over, only pruned.
  const all = await listSegments(storage);
  const persistedSeq = all.reduce((max, s) => Math.max(max, s.to), 0);
  return { log, persistedSeq };
}
