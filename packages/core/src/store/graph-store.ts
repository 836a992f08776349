import {
  DawsosError,
  type IntegrityCode,
  IntegrityError,
  NotFoundError,
  ReadOnlyError,
  ValidationError,
} from "../errors/errors.ts";
import { readDocument } from "../format/read-document.ts";
import type { BatchOp } from "../format/schemas.ts";
import { assertSubmittedChecksum } from "../format/verify-document.ts";
import { captureSnapshot } from "../format/write-document.ts";
import type { Change } from "../graph/changes.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphEdge, GraphNode, GraphStats, JsonObject, Pattern } from "../graph/types.ts";
import { assertChange, assertId } from "../graph/validate.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { encodeJournalRecord, type JournalRecord } from "../journal/journal-record.ts";
import { type Durability, JournalWriter } from "../journal/journal-writer.ts";
import { scanJournal } from "../journal/read-journal.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { AppendLog, StorageAdapter } from "../storage/adapter.ts";
import { assertGraphStorage } from "../storage/graph-capabilities.ts";
import {
  type BackupFile,
  type BackupManifest,
  encodeManifest,
  hashBytes,
  listBackupIds,
  readManifest,
  verifyBackupFiles,
} from "./backup-files.ts";
import { type Clock, systemClock } from "./clock.ts";
import { emulatedAppendLog } from "./emulated-append-log.ts";
import type { GraphService } from "./graph-service.ts";
import { Mutex } from "./mutex.ts";
import {
  acknowledgeRecoveries,
  type RecoveryReport,
  readPendingRecoveries,
  recordRecovery,
} from "./recovery-report.ts";
import { findRecoverySource } from "./recovery-source.ts";
import { resolveBatch, resolveEdge, resolveNodePut } from "./resolve-ops.ts";
import { readSnapshotFrom, writeSnapshotTo } from "./snapshot-io.ts";
import {
  backupPrefix,
  GRAPH_KEY,
  isBackedUpFile,
  JOURNAL_KEY,
  MANIFEST_NAME,
  SEED_KEY,
  versionIdOf,
  versionKey,
} from "./storage-keys.ts";
import {
  assertTimestampId,
  compareTimestampIdsDesc,
  nextTimestampId,
  TIMESTAMP_ID,
  timestampId,
  timestampIdToIso,
} from "./timestamp-ids.ts";
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
  /** Compact (fold the journal into `graph.json`) past this journal size. Default 64 MiB. */
  compactAfterBytes?: number;
  /** … or past this many journal records. Default 100,000. */
  compactAfterRecords?: number;
  /** Versions kept (newest first). Default 20. */
  versionRetention?: number;
  /** Backups kept (newest first). Default 30. */
  backupRetention?: number;
  /** Never write: recovery happens in memory only. */
  readOnly?: boolean;
  /** Structured events: seeding, migration, recovery, compaction, backups. */
  onEvent?: (event: StoreEvent) => void;
}

export interface CommitOptions {
  /**
   * Runs synchronously immediately before the changes are applied (after any wait), so a
   * compare-and-set such as HTTP `If-Match` cannot race another writer. Throw to refuse.
   */
  precondition?: (graph: KnowledgeGraph) => void;
  /** Builds the changes at that same instant (instead of the `changes` argument). */
  changes?: () => readonly Change[];
}

export type StoreEvent =
  | { type: "seeded"; nodes: number; edges: number }
  | { type: "migrated"; from: string; backup: string }
  | { type: "recovered"; report: RecoveryReport }
  | { type: "journal_replayed"; records: number; seq: number }
  | { type: "journal_tail_dropped"; offset: number; bytes: number }
  | { type: "compacted"; seq: number; records: number; ms: number }
  | { type: "compaction_failed"; error: unknown }
  | { type: "sync_failed"; error: unknown }
  | { type: "backup_created"; id: string }
  | { type: "backup_deleted"; id: string; reason: "retention" | "request" | "incomplete" }
  | { type: "version_deleted"; id: string }
  | { type: "restored"; from: string; backup: string };

export type { RecoveryReport } from "./recovery-report.ts";

export interface VersionInfo {
  id: string;
  created: string;
  size: number;
  checksum: string | null;
}

export interface BackupInfo {
  id: string;
  created: string;
  seq: number;
  files: BackupFile[];
}

export interface SavedVersion {
  id: string;
  checksum: string;
  created: string;
  size: number;
}

/**
 * The graph over a storage adapter (SPEC sections 3, 4, 6).
 *
 * - Open loads `graph.json` (streamed and verified), replays the journal records newer than
 *   its `seq`, seeds an empty storage, and recovers from damage.
 * - Every mutation is one journal record; its promise resolves once the record is durable
 *   (group commit: concurrent mutations share one write and one fdatasync).
 * - Compaction folds the journal into a new `graph.json` when it grows, on `save()` and on
 *   `close()`, without blocking writers while the snapshot is serialised.
 * - Versions, backups, restore and verification.
 *
 * One instance per storage directory, one writer (the filesystem adapter's lock enforces it).
 * The storage must be strongly consistent, with a durable append or compare-and-swap
 * (`assertGraphStorage`): never Workers KV.
 */
export class GraphStore implements GraphService {
  readonly storage: StorageAdapter;
  readonly #clock: Clock;
  readonly #hasher: HasherFactory;
  readonly #options: GraphStoreOptions;
  #graph = new KnowledgeGraph();
  #checksum: string | null = null;
  #recovery: RecoveryReport | null = null;
  /** Set while commits must wait (snapshot capture, journal reset, graph replacement). */
  #barrier: Promise<void> | null = null;
  /** Serialises compaction, backups, versions, restores and close. */
  readonly #admin = new Mutex();
  #log: AppendLog | null = null;
  #writer: JournalWriter | null = null;
  #compaction: Promise<unknown> | null = null;
  #closed = false;
  /** The newest version or backup id this instance made: never handed out again. */
  #lastIssuedId: string | null = null;
  /** The journal could not be reopened after it was replaced: reopen before the next commit. */
  #journalLost = false;

  private constructor(storage: StorageAdapter, options: GraphStoreOptions) {
    this.storage = storage;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#hasher = options.hasher ?? createSha256;
  }

  /** Opens the graph stored in `storage`, initialising it from the seed when it is empty. */
  static async open(storage: StorageAdapter, options: GraphStoreOptions = {}): Promise<GraphStore> {
    assertGraphStorage(storage);
    const store = new GraphStore(storage, options);
    await store.#load();
    if (!store.readOnly) await store.#removeIncompleteBackups();
    return store;
  }

  /** The live graph. Read from it freely; change it only through the store. */
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
   * one that is rolled back. The single writer never needs to load anything here.
   */
  refresh(): Promise<void> {
    return this.#writer?.settled() ?? RESOLVED;
  }

  /** Checksum of the last snapshot written or loaded. */
  get checksum(): string | null {
    return this.#checksum;
  }

  /** Journal size in bytes and records since the last compaction. */
  get journal(): { bytes: number; records: number } {
    return { bytes: this.#writer?.size ?? 0, records: this.#writer?.records ?? 0 };
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  #emit(event: StoreEvent): void {
    this.#options.onEvent?.(event);
  }

  // ---------------------------------------------------------------- open

  async #load(): Promise<void> {
    let loaded: Awaited<ReturnType<typeof readSnapshotFrom>>;
    try {
      loaded = await readSnapshotFrom(this.storage, GRAPH_KEY, {
        hasher: this.#hasher,
        now: this.#now(),
        allowUnchecksummed: true,
      });
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      const damaged = (await this.storage.get(GRAPH_KEY))?.body ?? null;
      return this.#recover(err, damaged);
    }
    if (loaded === null) {
      if (await this.#isEmptyStorage()) return this.#initialiseFromSeed();
      // Something was stored here before: a missing graph.json is damage, never a fresh start.
      return this.#recover(new IntegrityError("empty_file", "file is missing", { file: GRAPH_KEY }), null);
    }
    this.#graph = loaded.graph;
    this.#checksum = loaded.checksum;
    if (loaded.format !== "dawsos") {
      // A graph.json from the original Python DawsOS: keep the original bytes in a backup,
      // then write it in our format (its journal, if any, cannot belong to it).
      if (this.readOnly) return;
      await this.#openJournal(0);
      const backup = await this.#createBackup(loaded.bytes);
      await this.#compactLocked(true);
      this.#emit({ type: "migrated", from: loaded.format, backup: backup.id });
      return;
    }
    await this.#replayJournal();
  }

  /** Replays journal records newer than the snapshot; handles torn tails and corruption. */
  async #replayJournal(): Promise<void> {
    const stored = await this.storage.get(JOURNAL_KEY);
    const scan = scanJournal(stored?.body ?? new Uint8Array(0), this.#hasher);
    const snapshotSeq = this.#graph.seq;
    let applied = 0;
    let failure: { message: string; index: number } | null = null;
    for (let i = 0; i < scan.records.length; i++) {
      const record = scan.records[i]!;
      if (record.seq <= this.#graph.seq) continue; // already in the snapshot
      const failed = this.#applyRecord(record);
      if (failed) {
        failure = { message: failed, index: i };
        break;
      }
      applied++;
    }
    if (applied > 0) this.#emit({ type: "journal_replayed", records: applied, seq: this.#graph.seq });
    if (scan.corrupt || failure) {
      const message = scan.corrupt
        ? `record on line ${scan.corrupt.line} is damaged (${scan.corrupt.problem}) and ${scan.corrupt.recordsAfter} record(s) follow it`
        : `record ${failure!.index + 1} cannot be applied: ${failure!.message}`;
      const error = new IntegrityError(scan.corrupt ? "checksum_mismatch" : "invalid_document", message, {
        file: JOURNAL_KEY,
      });
      const unapplied =
        scan.records.length - applied - scan.records.filter((r) => r.seq <= snapshotSeq).length;
      const lost = (scan.corrupt?.recordsAfter ?? 0) + unapplied + (scan.corrupt ? 1 : 0);
      let preservedAs: string | null = null;
      if (!this.readOnly) {
        preservedAs = await this.#preserve(JOURNAL_KEY, stored!.body);
        await this.storage.put(JOURNAL_KEY, new Uint8Array(0));
        await this.#openJournal(0);
        await this.#compactLocked(true);
      }
      await this.#reportRecovery({
        file: JOURNAL_KEY,
        error: { code: error.code, message: error.message },
        recoveredFrom: `${GRAPH_KEY} + ${applied} journal record(s)`,
        recoveredSeq: this.#graph.seq,
        preservedAs,
        lost: `${lost} journal record(s) after seq ${this.#graph.seq} could not be applied`,
        lossless: false,
      });
      return;
    }
    if (this.readOnly) return;
    await this.#openJournal(scan.records.length);
    if (scan.tornTail) {
      // A crash mid-append: the incomplete record was never acknowledged. Cut it off so the
      // next append starts on a clean line.
      await this.#log!.truncate(scan.validLength);
      this.#writer!.replaceLog(this.#log!, scan.records.length);
      this.#emit({ type: "journal_tail_dropped", offset: scan.tornTail.offset, bytes: scan.tornTail.length });
    }
  }

  /** Applies one journal record; returns a message instead of throwing when it does not fit. */
  #applyRecord(record: JournalRecord): string | null {
    if (record.seq - record.count !== this.#graph.seq) {
      return `it starts at seq ${record.seq - record.count} but the graph is at seq ${this.#graph.seq}`;
    }
    try {
      this.#graph.apply(record.changes);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Closes the journal, runs `write` (which replaces the journal file) and opens the file that
   * is there now — also when closing or writing failed, so the writer never keeps a closed log.
   * If the open fails, the next commit retries it.
   */
  async #swapJournal(records: number, write: () => Promise<unknown>): Promise<void> {
    try {
      // Everything was synced before; a close that reports an error still frees the descriptor.
      await this.#log?.close().catch(() => undefined);
      await write();
    } finally {
      await this.#reopenJournal(records);
    }
  }

  async #reopenJournal(records: number): Promise<void> {
    this.#journalLost = true;
    await this.#openJournal(records);
    this.#journalLost = false;
  }

  async #openJournal(records: number): Promise<void> {
    const log = this.storage.openAppendLog
      ? await this.storage.openAppendLog(JOURNAL_KEY)
      : await emulatedAppendLog(this.storage, JOURNAL_KEY);
    this.#log = log;
    if (this.#writer) {
      this.#writer.replaceLog(log, records);
      return;
    }
    this.#writer = new JournalWriter(log, {
      durability: this.#options.durability,
      batchDelayMs: this.#options.batchDelayMs,
      afterWrite: () => this.#maybeCompact(),
      onSyncError: (error) => this.#emit({ type: "sync_failed", error }),
    });
    this.#writer.replaceLog(log, records);
  }

  async #initialiseFromSeed(): Promise<void> {
    const seed = this.#options.seed ?? investmentFrameworkSeed;
    const { graph } = readDocument(seed, { file: "seed", now: this.#now() });
    this.#graph = graph;
    if (this.readOnly) return;
    // The seed as it was loaded, in our checksummed line layout (seq 0): verifiable and
    // streamable at any size, and readable by every loader like any other document.
    // graph.json first: a crash before the seed file is written leaves a storage that opens
    // normally; seeded_graph.json present without graph.json always means damage (see #load).
    await this.storage.put(JOURNAL_KEY, new Uint8Array(0));
    await this.#openJournal(0);
    await this.#compactLocked(true);
    await writeSnapshotTo(this.storage, SEED_KEY, captureSnapshot(graph), this.#hasher);
    this.#emit({ type: "seeded", nodes: graph.nodeCount, edges: graph.edgeCount });
  }

  /** Keeps damaged bytes next to the original, under a name no loader picks up. */
  async #preserve(key: string, bytes: Uint8Array): Promise<string> {
    const prefix = `${key}.damaged-`;
    const existing = (await this.storage.list(prefix)).map((o) => o.key.slice(prefix.length));
    const id = nextTimestampId(this.#clock.now(), existing);
    const target = `${key}.damaged-${id}`;
    await this.storage.put(target, bytes);
    return target;
  }

  /** Nothing was ever stored here (no journal, seed file, version or backup): seed it. */
  async #isEmptyStorage(): Promise<boolean> {
    if ((await this.storage.list(SEED_KEY)).some((o) => o.key === SEED_KEY)) return false;
    const journal = (await this.storage.list(JOURNAL_KEY)).find((o) => o.key === JOURNAL_KEY);
    if (journal && journal.size > 0) return false;
    return (await this.#versionIds()).length === 0 && (await listBackupIds(this.storage)).length === 0;
  }

  /**
   * `graph.json` is damaged (`damaged` holds its bytes) or missing (`null`): rebuild it from the
   * seed, a version or a backup that the journal continues — losslessly — or, for a damaged
   * file only, from the newest valid one (reported as lossy). Never serves or writes a damaged
   * or empty graph, never drops journal records without keeping a copy, and with nothing to
   * rebuild from refuses, naming the file and changing nothing.
   */
  async #recover(error: IntegrityError, damaged: Uint8Array | null): Promise<void> {
    const journal = (await this.storage.get(JOURNAL_KEY))?.body ?? new Uint8Array(0);
    const scan = scanJournal(journal, this.#hasher);
    const { source, damaged: skipped } = await findRecoverySource(this.storage, scan.records, {
      hasher: this.#hasher,
      now: this.#now(),
    });
    const lossless = source?.lossless === true && scan.corrupt === null;
    if (!source || (damaged === null && !lossless)) {
      const why =
        damaged === null
          ? "it is missing, and graph.journal does not continue the seed, a version or a backup"
          : `${error.message.replace(`${GRAPH_KEY}: `, "")}; no valid version or backup to recover from`;
      throw new IntegrityError(
        error.code as IntegrityCode,
        `${why}${skipped.length > 0 ? ` (damaged too: ${skipped.join(", ")})` : ""}. Nothing was changed. ` +
          "To continue from a saved version, copy it over graph.json (e.g. graph_<id>.json); to start afresh, move the directory aside.",
        { file: GRAPH_KEY, cause: error },
      );
    }
    this.#graph = source.graph;
    let preservedAs: string | null = null;
    let journalPreservedAs: string | undefined;
    if (!this.readOnly) {
      if (damaged && damaged.length > 0) preservedAs = await this.#preserve(GRAPH_KEY, damaged);
      if (lossless) {
        // Every record is in the rebuilt graph: the compaction below folds them into graph.json
        // and only then replaces the journal, so a crash in between loses nothing either.
        await this.#openJournal(scan.records.length);
      } else {
        // Records that could not be applied are dropped from the live journal: keep a copy first.
        if (journal.length > 0) journalPreservedAs = await this.#preserve(JOURNAL_KEY, journal);
        await this.storage.put(JOURNAL_KEY, new Uint8Array(0));
        await this.#openJournal(0);
      }
      await this.#compactLocked(true);
    }
    const from = source.applied > 0 ? `${source.key} + ${source.applied} journal record(s)` : source.key;
    const lostText = lossless
      ? `nothing: ${GRAPH_KEY} was rebuilt from ${source.key} and every journal record`
      : `changes after ${source.key} (seq ${source.graph.seq}${source.id ? `, saved ${timestampIdToIso(source.id)}` : ""}) that the journal did not hold could not be recovered` +
        (scan.corrupt ? `; the journal is damaged at line ${scan.corrupt.line}` : "") +
        (skipped.length > 0 ? `; also damaged: ${skipped.join(", ")}` : "");
    await this.#reportRecovery({
      file: GRAPH_KEY,
      error: { code: error.code, message: error.message },
      recoveredFrom: from,
      recoveredSeq: this.#graph.seq,
      preservedAs,
      ...(journalPreservedAs ? { journalPreservedAs } : {}),
      lost: lostText,
      lossless,
    });
  }

  /** Keeps the report for this open and, when writable, until an operator acknowledges it. */
  async #reportRecovery(report: RecoveryReport): Promise<void> {
    this.#recovery = { ...report, at: this.#now() };
    if (!this.readOnly) await recordRecovery(this.storage, this.#recovery);
    this.#emit({ type: "recovered", report: this.#recovery });
  }

  /**
   * Acknowledges the pending recovery reports (`dawsos verify --ack-recovery`): `verify` stops
   * reporting them. Returns how many there were.
   */
  async acknowledgeRecovery(): Promise<number> {
    this.#assertWritable();
    return this.#admin.run(() => acknowledgeRecoveries(this.storage, timestampId(this.#clock.now())));
  }

  // ---------------------------------------------------------------- mutations

  #assertWritable(): void {
    if (this.readOnly) throw new ReadOnlyError();
    if (this.#closed) throw new DawsosError("storage_error", "the store is closed");
  }

  /**
   * Applies change records all-or-nothing and resolves once they are durable. Each change is
   * validated and encoded into its journal record before it touches memory, so a refused
   * change (bad value, failed precondition, missing node) applies nothing. Changes become
   * visible to readers that wait on `refresh()` only once durable; a failed write rolls memory
   * back, and nobody saw it. Resolves to the graph's `seq` after the change.
   */
  async commit(changes: readonly Change[], options: CommitOptions = {}): Promise<number> {
    return this.#commit(options.changes ?? (() => changes), options.precondition);
  }

  /**
   * The one commit path. `build` (and `precondition`) run when the commit's group forms, after
   * every earlier commit was applied, so what they read is what the change applies to;
   * `applied` runs right after the apply, for results that must describe this very change.
   */
  async #commit(
    build: () => readonly Change[],
    precondition?: (graph: KnowledgeGraph) => void,
    applied?: (graph: KnowledgeGraph) => void,
  ): Promise<number> {
    this.#assertWritable();
    if (this.#journalLost) {
      await this.#withBarrier(async () => {
        if (this.#journalLost) await this.#reopenJournal(this.#writer!.records);
      });
    }
    while (this.#barrier) await this.#barrier;
    this.#assertWritable();
    let seq = this.#graph.seq;
    await this.#writer!.submit(() => {
      const graph = this.#graph;
      precondition?.(graph);
      const resolved = build();
      if (resolved.length === 0) {
        seq = graph.seq;
        return null;
      }
      for (let i = 0; i < resolved.length; i++) {
        try {
          assertChange(resolved[i]!);
        } catch (err) {
          if (err instanceof DawsosError) err.changeIndex = i;
          throw err;
        }
      }
      const line = encodeJournalRecord(graph.seq + resolved.length, resolved, this.#hasher);
      const undo = graph.apply(resolved);
      seq = graph.seq;
      applied?.(graph);
      return { line, undo };
    });
    return seq;
  }

  /** Creates or replaces a node. Unknown fields of an existing node are kept. */
  async putNode(
    id: string,
    input: { type: string; data?: JsonObject },
    options: CommitOptions = {},
  ): Promise<{ node: GraphNode; created: boolean }> {
    assertId(id, "node id");
    let created = false;
    let change: Extract<Change, { op: "put_node" }> | undefined;
    await this.#commit(() => {
      // Resolved when applied, so created_at and `created` describe the node as it is then.
      change = resolveNodePut(this.#graph, id, input, this.#now());
      created = !this.#graph.hasNode(id);
      return [change];
    }, options.precondition);
    return { node: change!.node, created };
  }

  /** Merges `data` into the node's data (JSON merge patch). */
  async patchNode(id: string, data: JsonObject, options: CommitOptions = {}): Promise<GraphNode> {
    assertId(id, "node id");
    let node: GraphNode | undefined;
    await this.#commit(
      () => [{ op: "patch_node", at: this.#now(), id, data }],
      options.precondition,
      (graph) => {
        node = graph.getNode(id);
      },
    );
    return node!;
  }

  /** Deletes a node and its edges. */
  async deleteNode(id: string, options: CommitOptions = {}): Promise<void> {
    await this.#commit(() => [{ op: "delete_node", at: this.#now(), id }], options.precondition);
  }

  async addEdge(input: {
    from: string;
    to: string;
    type: string;
    strength?: number;
    id?: string;
    metadata?: JsonObject;
  }): Promise<GraphEdge> {
    let change: Extract<Change, { op: "add_edge" }> | undefined;
    await this.#commit(() => {
      change = resolveEdge(this.#graph, input, this.#now(), new Set());
      return [change];
    });
    return change!.edge;
  }

  async deleteEdge(id: string): Promise<void> {
    await this.#commit(() => [{ op: "delete_edge", at: this.#now(), id }]);
  }

  async putPattern(id: string, pattern: Pattern): Promise<{ created: boolean }> {
    let created = false;
    await this.#commit(() => {
      created = this.#graph.getPattern(id) === undefined;
      return [{ op: "put_pattern", at: this.#now(), id, pattern }];
    });
    return { created };
  }

  async deletePattern(id: string): Promise<void> {
    await this.#commit(() => [{ op: "delete_pattern", at: this.#now(), id }]);
  }

  /**
   * Applies batch operations (SPEC `POST /api/batch`) all-or-nothing as one journal record. A
   * failing operation throws a `ValidationError` whose details name its index; nothing is applied.
   */
  async applyBatch(ops: readonly BatchOp[]): Promise<{ applied: number; seq: number }> {
    let count = 0;
    try {
      const seq = await this.#commit(() => {
        const changes = resolveBatch(this.#graph, ops, this.#now());
        count = changes.length;
        return changes;
      });
      return { applied: count, seq };
    } catch (err) {
      if (err instanceof DawsosError && err.changeIndex !== undefined) {
        const path = (err.details as { path?: unknown } | undefined)?.path;
        throw new ValidationError(`op ${err.changeIndex}: ${err.message}`, {
          cause: err,
          details: { index: err.changeIndex, code: err.code, ...(path === undefined ? {} : { path }) },
        });
      }
      throw err;
    }
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
    const bytes = this.#options.compactAfterBytes ?? 64 * 1024 * 1024;
    const records = this.#options.compactAfterRecords ?? 100_000;
    if (writer.size < bytes && writer.records < records) return;
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
    const writer = this.#writer;
    if (!writer) throw new DawsosError("storage_error", "the journal is not open");
    if (!force && writer.records === 0 && this.#checksum !== null) {
      return { checksum: this.#checksum, seq: this.#graph.seq };
    }
    const started = Date.now();
    const snapshot = await this.#withBarrier(async () => {
      await writer.sync();
      writer.mark();
      return captureSnapshot(this.#graph);
    });
    let written: { checksum: string };
    try {
      written = await writeSnapshotTo(this.storage, GRAPH_KEY, snapshot, this.#hasher);
    } catch (err) {
      writer.takeMarked();
      throw err;
    }
    const folded = writer.records;
    await this.#withBarrier(async () => {
      await writer.sync();
      const tail = writer.takeMarked();
      await this.#swapJournal(tail.length, () => this.storage.put(JOURNAL_KEY, tail.join("")));
    });
    this.#checksum = written.checksum;
    this.#emit({ type: "compacted", seq: snapshot.seq, records: folded, ms: Date.now() - started });
    return { checksum: written.checksum, seq: snapshot.seq };
  }

  /**
   * Folds the journal into a fresh `graph.json` snapshot (also done automatically when the
   * journal grows, and on close). Writers keep going while the snapshot is written.
   */
  async compact(): Promise<{ checksum: string; seq: number }> {
    this.#assertWritable();
    return this.#admin.run(() => this.#compactLocked(true));
  }

  /** Writes a full snapshot of the current graph to `graph.json` (same as `compact`). */
  async save(): Promise<{ checksum: string; seq: number }> {
    return this.compact();
  }

  // ---------------------------------------------------------------- versions

  /** Full snapshot plus a versioned copy `graph_YYYYmmdd_HHMMSS.json`; prunes old versions. */
  async saveVersion(): Promise<SavedVersion> {
    this.#assertWritable();
    return this.#admin.run(async () => {
      const existing = await this.#versionIds();
      const at = this.#clock.now();
      // One order for versions and backups (recovery searches both, newest id first).
      const id = this.#issueId(at, [...existing, ...(await listBackupIds(this.storage)).map((b) => b.id)]);
      const { checksum } = await this.#compactLocked(false);
      const { size } = await this.#copy(GRAPH_KEY, versionKey(id));
      const keep = Math.max(1, this.#options.versionRetention ?? 20);
      // The version just made always stays; the oldest others go.
      for (const old of existing.slice(keep - 1)) {
        await this.storage.delete(versionKey(old));
        this.#emit({ type: "version_deleted", id: old });
      }
      return { id, checksum, created: at.toISOString(), size };
    });
  }

  /** A new version or backup id, newer than `existing` and than any this instance made before. */
  #issueId(at: Date, existing: readonly string[]): string {
    const id = nextTimestampId(at, this.#lastIssuedId ? [...existing, this.#lastIssuedId] : existing);
    this.#lastIssuedId = id;
    return id;
  }

  /** Copies a stored file (streaming when possible); returns its size and SHA-256. */
  async #copy(from: string, to: string): Promise<{ size: number; checksum: string }> {
    const hasher = this.#hasher();
    let size = 0;
    if (this.storage.getStream && this.storage.putStream) {
      const stream = await this.storage.getStream(from);
      if (!stream) throw new NotFoundError(`${from} does not exist`);
      const source = stream[Symbol.asyncIterator]();
      async function* counted(): AsyncGenerator<Uint8Array> {
        for (let next = await source.next(); !next.done; next = await source.next()) {
          hasher.update(next.value);
          size += next.value.length;
          yield next.value;
        }
      }
      try {
        await this.storage.putStream(to, counted());
      } finally {
        // putStream can fail before it pulls a chunk (mkdir, temp-file open): close the source.
        await Promise.resolve(source.return?.()).catch(() => undefined);
      }
    } else {
      const stored = await this.storage.get(from);
      if (!stored) throw new NotFoundError(`${from} does not exist`);
      hasher.update(stored.body);
      size = stored.body.length;
      await this.storage.put(to, stored.body);
    }
    return { size, checksum: hasher.digestHex() };
  }

  async #versionIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const { key } of await this.storage.list("graph_")) {
      const id = versionIdOf(key);
      if (id) ids.push(id);
    }
    return ids.sort(compareTimestampIdsDesc);
  }

  /** Saved versions, newest first. */
  async listVersions(): Promise<VersionInfo[]> {
    const out: VersionInfo[] = [];
    const listed = new Map((await this.storage.list("graph_")).map((o) => [o.key, o.size]));
    for (const id of await this.#versionIds()) {
      const key = versionKey(id);
      out.push({
        id,
        created: timestampIdToIso(id),
        size: listed.get(key) ?? 0,
        checksum: await this.#storedChecksum(key),
      });
    }
    return out;
  }

  /** The checksum in a stored document's trailer, read without loading the document. */
  async #storedChecksum(key: string): Promise<string | null> {
    if (this.storage.getStream) {
      const stream = await this.storage.getStream(key);
      if (!stream) return null;
      let tail = new Uint8Array(0);
      for await (const chunk of stream) {
        const joined = new Uint8Array(Math.min(tail.length, 256) + chunk.length);
        joined.set(tail.subarray(Math.max(0, tail.length - 256)), 0);
        joined.set(chunk, joined.length - chunk.length);
        tail = joined;
      }
      return trailerChecksum(tail);
    }
    const stored = await this.storage.get(key);
    return stored ? trailerChecksum(stored.body) : null;
  }

  /** The graph becomes that version (a backup of the current state is made first). */
  async restoreVersion(id: string): Promise<GraphStats> {
    assertTimestampId(id, "version");
    this.#assertWritable();
    return this.#admin.run(async () => {
      const key = versionKey(id);
      const loaded = await readSnapshotFrom(this.storage, key, { hasher: this.#hasher, now: this.#now() });
      if (!loaded) throw new NotFoundError(`version ${id} does not exist`);
      const backup = await this.#createBackup(null);
      await this.#replace(loaded.graph);
      this.#emit({ type: "restored", from: key, backup: backup.id });
      return loaded.graph.stats();
    });
  }

  /**
   * Replaces the whole graph with a document in any accepted format (SPEC `PUT /api/graph`,
   * `dawsos import`). Validates first (nothing changes on bad input), then backs up.
   */
  async replaceGraph(
    document: unknown,
    options: Pick<CommitOptions, "precondition"> = {},
  ): Promise<GraphStats> {
    this.#assertWritable();
    // Validate first (value domain, nesting, references), then the checksum: a bad document
    // fails before anything — backups included — is written.
    const { graph } = readDocument(document, { file: "document", now: this.#now() });
    assertSubmittedChecksum(document, this.#hasher);
    return this.#admin.run(async () => {
      await this.#withBarrier(() => options.precondition?.(this.#graph));
      await this.#createBackup(null);
      await this.#replace(graph, options.precondition);
      return graph.stats();
    });
  }

  /**
   * Swaps in `graph` with a `seq` past the current one (so ETags never repeat and no old
   * journal record can replay onto it): new snapshot first, then an empty journal.
   */
  async #replace(graph: KnowledgeGraph, precondition?: (current: KnowledgeGraph) => void): Promise<void> {
    await this.#withBarrier(async () => {
      const previous = this.#graph;
      precondition?.(previous);
      graph.advanceSeq(previous.seq + 1);
      const { checksum } = await writeSnapshotTo(
        this.storage,
        GRAPH_KEY,
        captureSnapshot(graph),
        this.#hasher,
      );
      this.#graph = graph;
      this.#checksum = checksum;
      await this.#swapJournal(0, () => this.storage.put(JOURNAL_KEY, new Uint8Array(0)));
    });
  }

  // ---------------------------------------------------------------- backups

  /** A full backup: the graph snapshot and every top-level `*.json` state file, with a manifest. */
  async backup(): Promise<BackupInfo> {
    this.#assertWritable();
    return this.#admin.run(() => this.#createBackup(null));
  }

  /**
   * Writes `backups/<id>/`: `graph.json` (a fresh snapshot of the current graph, or
   * `graphBytes` when given — the original file during a migration), copies of the other
   * state files, then `manifest.json` last. Then applies retention. Runs under `#admin`.
   */
  async #createBackup(graphBytes: Uint8Array | null, protect: readonly string[] = []): Promise<BackupInfo> {
    const existing = await listBackupIds(this.storage);
    const at = this.#clock.now();
    // The last id handed out counts too: a deleted newest backup's id is not reused either.
    // So do version ids: one order for both (recovery searches both, newest id first).
    const id = this.#issueId(at, [...existing.map((b) => b.id), ...(await this.#versionIds())]);
    const prefix = backupPrefix(id);
    const files: BackupFile[] = [];
    if (graphBytes) {
      await this.storage.put(`${prefix}${GRAPH_KEY}`, graphBytes);
      files.push({ name: GRAPH_KEY, size: graphBytes.length, checksum: hashBytes(graphBytes, this.#hasher) });
    } else {
      await this.#compactLocked(false);
      files.push({ name: GRAPH_KEY, ...(await this.#copy(GRAPH_KEY, `${prefix}${GRAPH_KEY}`)) });
    }
    for (const { key } of await this.storage.list("")) {
      if (!isBackedUpFile(key)) continue;
      const stored = await this.storage.get(key);
      if (!stored) continue;
      await this.storage.put(`${prefix}${key}`, stored.body);
      files.push({ name: key, size: stored.body.length, checksum: hashBytes(stored.body, this.#hasher) });
    }
    const manifest: BackupManifest = { id, created: at.toISOString(), seq: this.#graph.seq, files };
    await this.storage.put(`${prefix}${MANIFEST_NAME}`, encodeManifest(manifest));
    this.#emit({ type: "backup_created", id });
    // Retention never removes the backup just made, nor what the caller protects (the backup a
    // restore is reading from); the oldest others go.
    const keep = Math.max(1, this.#options.backupRetention ?? 30);
    const others = existing.filter((b) => b.complete && !protect.includes(b.id)).map((b) => b.id);
    for (const old of others.slice(Math.max(0, keep - 1 - protect.length))) {
      await this.#deleteBackupFiles(old);
      this.#emit({ type: "backup_deleted", id: old, reason: "retention" });
    }
    return manifest;
  }

  /** Complete backups (with a manifest), newest first. */
  async listBackups(): Promise<BackupInfo[]> {
    const out: BackupInfo[] = [];
    for (const { id, complete } of await listBackupIds(this.storage)) {
      if (!complete) continue;
      try {
        const m = await readManifest(this.storage, id);
        out.push({ id, created: m.created, seq: m.seq, files: m.files });
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
      }
    }
    return out;
  }

  /** Restores a backup after checking every file against its manifest (a backup of the current state is made first). */
  async restoreBackup(id: string): Promise<GraphStats> {
    assertTimestampId(id, "backup");
    this.#assertWritable();
    return this.#admin.run(async () => {
      const manifest = await readManifest(this.storage, id);
      await verifyBackupFiles(this.storage, manifest, this.#hasher);
      if (!manifest.files.some((f) => f.name === GRAPH_KEY)) {
        throw new IntegrityError("integrity_error", "backup has no graph.json", {
          file: backupPrefix(id) + MANIFEST_NAME,
        });
      }
      const loaded = await readSnapshotFrom(this.storage, `${backupPrefix(id)}${GRAPH_KEY}`, {
        hasher: this.#hasher,
        now: this.#now(),
        allowUnchecksummed: true,
      });
      if (!loaded) throw new NotFoundError(`backup ${id} has no graph.json`);
      const graph = loaded.graph;
      const safety = await this.#createBackup(null, [id]);
      // The other state files are small (seed, workflow history): copied back whole.
      for (const file of manifest.files) {
        if (file.name === GRAPH_KEY) continue;
        const stored = await this.storage.get(`${backupPrefix(id)}${file.name}`);
        if (stored) await this.storage.put(file.name, stored.body);
      }
      await this.#replace(graph);
      this.#emit({ type: "restored", from: backupPrefix(id), backup: safety.id });
      return graph.stats();
    });
  }

  /** Deletes a backup. The manifest goes first, so an interrupted delete leaves an incomplete backup, never a wrong one. */
  async deleteBackup(id: string): Promise<void> {
    assertTimestampId(id, "backup");
    this.#assertWritable();
    return this.#admin.run(async () => {
      const keys = await this.storage.list(backupPrefix(id));
      if (keys.length === 0) throw new NotFoundError(`backup ${id} does not exist`);
      await this.#deleteBackupFiles(id);
      this.#emit({ type: "backup_deleted", id, reason: "request" });
    });
  }

  /**
   * A backup directory without its manifest is what a crash mid-backup leaves (the manifest is
   * written last). It is never used for restore or recovery; a writer, holding the lock, removes it.
   */
  async #removeIncompleteBackups(): Promise<void> {
    for (const { id, complete } of await listBackupIds(this.storage)) {
      // Only our own id format: never remove a directory someone else put under backups/.
      if (complete || !TIMESTAMP_ID.test(id)) continue;
      await this.#deleteBackupFiles(id);
      this.#emit({ type: "backup_deleted", id, reason: "incomplete" });
    }
  }

  async #deleteBackupFiles(id: string): Promise<void> {
    const prefix = backupPrefix(id);
    await this.storage.delete(`${prefix}${MANIFEST_NAME}`);
    for (const { key } of await this.storage.list(prefix)) await this.storage.delete(key);
  }

  // ---------------------------------------------------------------- integrity and close

  /** Verifies every stored file: graph, journal, versions, backups, seed and workflow history. */
  async verify(): Promise<IntegrityReport> {
    const report = await verifyStorage(this.storage, { hasher: this.#hasher, now: this.#now() });
    const pending = await readPendingRecoveries(this.storage);
    // A read-only open recovers in memory only: its report is not stored, but it is just as real.
    if (this.#recovery && !pending.some((r) => r.at === this.#recovery!.at)) pending.push(this.#recovery);
    return withRecoveries(report, pending);
  }

  /**
   * Makes every acknowledged change durable, folds the journal into `graph.json`, and refuses
   * further writes. Safe to call twice. The caller closes the storage adapter (releasing the
   * filesystem lock) afterwards.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.readOnly) {
      this.#closed = true;
      return;
    }
    await this.#admin.run(async () => {
      if (this.#closed) return;
      await this.#compactLocked(false);
      await this.#writer?.sync();
      this.#closed = true;
      this.#writer?.dispose();
      await this.#log?.close();
    });
  }
}

/** The checksum from a file's trailer (written by `writeDocument`), or `null`. */
export function trailerChecksum(bytes: Uint8Array): string | null {
  const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 200)));
  return /"checksum":"([0-9a-f]{64})"\}\s*$/.exec(tail)?.[1] ?? null;
}
