import type { ChangeRecord } from "../changes/change-record.ts";
import { type ChangeRetention, changeRetention } from "../changes/change-retention.ts";
import type { ChangeAudit } from "../changes/change-source.ts";
import { ConflictError, DawsosError } from "../errors/errors.ts";
import { NOT_LINE_LAYOUT } from "../format/document-records.ts";
import { readDocument } from "../format/read-document.ts";
import { assertSubmittedChecksum } from "../format/verify-document.ts";
import { documentText } from "../format/write-document.ts";
import type { Change } from "../graph/changes.ts";
import { evaluatePattern, type PatternEvaluation, patternNodeIds } from "../graph/conditions.ts";
import type { Influence, KnowledgeGraph } from "../graph/knowledge-graph.ts";
import * as traversal from "../graph/traversal.ts";
import type { GraphEdge, GraphNode, GraphStats, Pattern } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type ArchiveEvent, type DocumentSource, GraphArchive } from "../store/archive.ts";
import type { ArchivedDocument } from "../store/archived-document.ts";
import type {
  DocumentInfo,
  EdgeListQuery,
  GraphCounts,
  LazyGraphService,
  NodeListQuery,
  Page,
} from "../store/graph-reader.ts";
import type {
  AuditOptions,
  BackupInfo,
  ReplaceOptions,
  SavedVersion,
  VersionInfo,
} from "../store/graph-service.ts";
import {
  type BuildChanges,
  type CommitResult,
  GraphMutations,
  type Precondition,
} from "../store/mutations.ts";
import { assertTimestampId } from "../store/timestamp-ids.ts";
import { type FileCheck, type IntegrityReport, verifyStateFiles } from "../store/verify-storage.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Mutex } from "../util/mutex.ts";
import { type ImportedDocument, importDocumentStream } from "./document-import.ts";
import { ExportGate } from "./export-gate.ts";
import { GraphImport } from "./graph-import.ts";
import { SqlChangeFeed } from "./sql-change-feed.ts";
import { appendChange, clearChanges, trimChanges } from "./sql-changes.ts";
import { commitInTables } from "./sql-commit.ts";
import type { SqlDatabase } from "./sql-database.ts";
import { tableSnapshot } from "./sql-document.ts";
import { existingNodesById, SqlGraphReads, SqlTraversal } from "./sql-graph-reads.ts";
import { checkTables } from "./sql-integrity.ts";
import { createSchema, type GraphTables, tablesOf } from "./sql-schema.ts";
import { liveSet, readSeq } from "./sql-state.ts";
import { WorkingGraph } from "./working-graph.ts";

export interface SqliteGraphStoreOptions {
  /** Where versions, backups and exports go (R2 in production). */
  archive: StorageAdapter;
  /** Document the empty tables are initialised from (any accepted format). Default: the shipped seed. */
  seed?: unknown;
  /**
   * Asked only when the tables are new, before the seed: a graph returned here is imported
   * instead of the seed, keeping its `seq` (so ETags continue where the graph left off);
   * `null` means "nothing to bring in", and the seed is used. What a one-time migration hands
   * over (the Worker's R2 graph, `apps/worker/src/bucket-migration.ts`). If it throws, `open`
   * fails and the tables stay new, so the next `open` asks again.
   */
  initial?: () => Promise<KnowledgeGraph | null>;
  clock?: Clock;
  hasher?: HasherFactory;
  versionRetention?: number;
  backupRetention?: number;
  /** Rows per import transaction (restore, `replaceGraph`). Default 1,000. */
  importChunkRows?: number;
  /** Longest time a writer waits for a running export (see `ExportGate`). Default 30 s. */
  exportHoldMs?: number;
  /** How much of the change feed the `changes` table keeps (records and age). Default as on Node. */
  changeRetention?: Partial<ChangeRetention>;
  onEvent?: (event: SqliteStoreEvent) => void;
}

export type SqliteStoreEvent =
  | ArchiveEvent
  | { type: "seeded"; nodes: number; edges: number }
  /** The new tables were filled from `options.initial()` instead of the seed. */
  | { type: "initialised"; seq: number; nodes: number; edges: number; patterns: number }
  /** A commit became durable: its change records (also in the `changes` table: `store.changes`). */
  | { type: "committed"; seq: number; changes: readonly Change[]; audit: ChangeAudit }
  | { type: "imported"; seq: number; nodes: number; edges: number; patterns: number }
  /** `streamed`: the document was imported record by record, not loaded whole (another layout). */
  | { type: "restored"; from: string; backup: string; streamed: boolean };

const encoder = new TextEncoder();

/**
 * The graph in SQLite tables: the engine of the `GraphObject` Durable Object (SPEC section 1),
 * over `ctx.storage` as it is (see `SqlDatabase`). Nothing is loaded up front; every read is
 * answered from indexes (`GraphReader`), so a cold object serves its first request at once,
 * whatever the size of the graph.
 *
 * - Writes: the mutation methods shared by every store (`GraphMutations`), each commit one
 *   `transactionSync` with its precondition checked inside it (`sql-commit.ts`). Writers never
 *   conflict; they run one after the other. `seq` advances by one per change, as on Node.
 * - Whole-graph replacement (restore, `replaceGraph`, the seed) goes through `GraphImport`:
 *   chunks into the shadow tables, then one swap.
 * - Versions and backups: the document streamed from the tables, archived by the shared
 *   `GraphArchive` over `options.archive`.
 * - The change feed (`changes`): each commit and each import also stores its change record
 *   (`sql-changes.ts`) in its own transaction, trimmed by `changeRetention`.
 *
 * One instance per database at a time is the intended use (the object holds one); a second
 * instance over the same database reads and writes the same tables correctly.
 */
export class SqliteGraphStore extends GraphMutations implements LazyGraphService {
  readonly #db: SqlDatabase;
  readonly #options: SqliteGraphStoreOptions;
  readonly #clock: Clock;
  readonly #hasher: HasherFactory;
  readonly #archive: GraphArchive;
  readonly #admin = new Mutex();
  readonly #gate: ExportGate;
  readonly #retention: ChangeRetention;
  readonly #changes: SqlChangeFeed;
  #closed = false;
  /** The SQLite store never recovers from files: its database is the durable state. */
  readonly recovery = null;

  private constructor(db: SqlDatabase, options: SqliteGraphStoreOptions) {
    super();
    this.#db = db;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#hasher = options.hasher ?? createSha256;
    this.#gate = new ExportGate(options.exportHoldMs ?? 30_000);
    this.#retention = changeRetention(options.changeRetention);
    this.#changes = new SqlChangeFeed(db.sql);
    this.#archive = new GraphArchive(options.archive, {
      hasher: this.#hasher,
      clock: this.#clock,
      versionRetention: options.versionRetention,
      backupRetention: options.backupRetention,
      onEvent: (event) => this.#emit(event),
    });
  }

  /**
   * Opens the graph in `db`, creating the tables when they are new and filling them from
   * `options.initial()` or, when that gives nothing, from the seed.
   */
  static async open(db: SqlDatabase, options: SqliteGraphStoreOptions): Promise<SqliteGraphStore> {
    db.transactionSync(() => createSchema(db.sql));
    const store = new SqliteGraphStore(db, options);
    if (liveSet(db.sql) === null) await store.#initialise();
    await store.#archive.removeIncompleteBackups();
    return store;
  }

  /** New tables: the `initial` graph with its own `seq`, else the seed. */
  async #initialise(): Promise<void> {
    const initial = (await this.#options.initial?.()) ?? null;
    // `initial` may read storage elsewhere; another instance over this database may have
    // initialised the tables meanwhile, and its graph must not be replaced.
    if (liveSet(this.#db.sql) !== null) return;
    if (initial) {
      const seq = await this.#importGraph(initial, undefined, null);
      this.#emit({
        type: "initialised",
        seq,
        nodes: initial.nodeCount,
        edges: initial.edgeCount,
        patterns: initial.patternCount,
      });
      return;
    }
    const { graph } = readDocument(this.#options.seed ?? investmentFrameworkSeed, {
      file: "seed",
      now: this.now(),
    });
    await this.#importGraph(graph, undefined, null);
    this.#emit({ type: "seeded", nodes: graph.nodeCount, edges: graph.edgeCount });
  }

  protected now(): string {
    return this.#clock.now().toISOString();
  }

  #emit(event: SqliteStoreEvent): void {
    this.#options.onEvent?.(event);
  }

  #assertOpen(): void {
    if (this.#closed) throw new DawsosError("storage_error", "the store is closed");
  }

  #tables(): GraphTables {
    const live = liveSet(this.#db.sql);
    if (live === null) throw new DawsosError("storage_error", "the graph tables are not initialised");
    return tablesOf(live);
  }

  #reads(): SqlGraphReads {
    return new SqlGraphReads(this.#db.sql, this.#tables());
  }

  /** Always up to date: every read goes to the tables. */
  async refresh(): Promise<void> {}

  /** The change feed: committed changes with their audit fields, as retained in the `changes` table. */
  get changes(): SqlChangeFeed {
    return this.#changes;
  }

  /**
   * Applies change retention in full (a commit trims only a few records, and age alone trims
   * nothing while no one writes): in transactions of at most 1,000 records, for the alarm.
   * Returns how many records were dropped.
   */
  applyChangeRetention(): number {
    let dropped = 0;
    for (;;) {
      const n = this.#db.transactionSync(() =>
        trimChanges(this.#db.sql, this.#retention, this.#clock.now().getTime(), 1000),
      );
      dropped += n;
      if (n < 1000) return dropped;
    }
  }

  /** Stores a change record (inside the transaction of the write it records). */
  #record(record: ChangeRecord): void {
    appendChange(this.#db.sql, record, this.#retention, this.#clock.now().getTime());
  }

  // ---------------------------------------------------------------- commits

  protected async commitWith<T>(
    build: BuildChanges,
    check: Precondition,
    read: CommitResult<T>,
    audit: ChangeAudit,
  ): Promise<T> {
    this.#assertOpen();
    await this.#gate.passage();
    this.#assertOpen();
    let changes: readonly Change[] = [];
    let seq = 0;
    const value = this.#db.transactionSync(() => {
      const out = commitInTables(
        this.#db.sql,
        this.#tables(),
        this.#hasher,
        (graph) => {
          changes = build(graph);
          return changes;
        },
        check,
        (graph, after) => {
          seq = after;
          return read(graph, after);
        },
      );
      // In the same transaction: a write that rolls back leaves no record behind.
      if (changes.length > 0) this.#record(recordOf(seq - changes.length, seq, this.now(), audit, changes));
      return out;
    });
    if (changes.length > 0) {
      this.#changes.appended();
      this.#emit({ type: "committed", seq, changes, audit });
    }
    return value;
  }

  // ---------------------------------------------------------------- reads (GraphReader)

  async seq(): Promise<number> {
    return readSeq(this.#db.sql);
  }

  async counts(): Promise<GraphCounts> {
    const reads = this.#reads();
    return {
      nodes: reads.count("nodes"),
      edges: reads.count("edges"),
      patterns: reads.count("patterns"),
      seq: readSeq(this.#db.sql),
    };
  }

  async stats(): Promise<GraphStats> {
    const reads = this.#reads();
    const nodes = reads.count("nodes");
    const edges = reads.count("edges");
    return {
      total_nodes: nodes,
      total_edges: edges,
      total_patterns: reads.count("patterns"),
      node_types: reads.typeCounts("node"),
      edge_types: reads.typeCounts("edge"),
      avg_connections: nodes === 0 ? 0 : edges / nodes,
    };
  }

  async getNode(id: string): Promise<GraphNode | undefined> {
    return this.#reads().node(id);
  }

  async getEdge(id: string): Promise<GraphEdge | undefined> {
    return this.#reads().edge(id);
  }

  async getPattern(id: string): Promise<Pattern | undefined> {
    return this.#reads().pattern(id);
  }

  async listNodes(query: NodeListQuery = {}): Promise<Page<GraphNode>> {
    return this.#reads().listNodes(query);
  }

  async listEdges(query: EdgeListQuery = {}): Promise<Page<GraphEdge>> {
    return this.#reads().listEdges(query);
  }

  async influences(id: string): Promise<Influence[]> {
    return this.#reads().influences(id);
  }

  async neighbors(id: string, options: traversal.NeighborOptions = {}): Promise<traversal.Neighborhood> {
    return traversal.neighbors(new SqlTraversal(this.#reads()), id, options);
  }

  async paths(
    from: string,
    to: string,
    options: traversal.PathOptions = {},
  ): Promise<traversal.WeightedPath[]> {
    return traversal.paths(new SqlTraversal(this.#reads()), from, to, options);
  }

  async patterns(): Promise<Array<[string, Pattern]>> {
    return this.#reads().patterns();
  }

  async evaluatePatterns(): Promise<PatternEvaluation[]> {
    const reads = this.#reads();
    const source = new SqlTraversal(reads);
    return reads.patterns().map(([id, pattern]) => evaluatePattern(id, pattern, (n) => source.getNode(n)));
  }

  async nodesByPatternType(type: string): Promise<GraphNode[]> {
    const reads = this.#reads();
    const ids = new Set<string>();
    for (const [, pattern] of reads.patterns(type)) for (const id of patternNodeIds(pattern)) ids.add(id);
    return existingNodesById(reads, ids);
  }

  /**
   * The document, streamed from the tables as the consumer pulls (writers wait meanwhile, up
   * to `exportHoldMs`). If the graph changes anyway, the next chunk throws `ConflictError`:
   * never a document mixing two versions.
   */
  document(info: DocumentInfo = {}): AsyncGenerator<string> {
    return this.#documentChunks({}, info);
  }

  async *#documentChunks(result: { checksum?: string }, info: DocumentInfo = {}): AsyncGenerator<string> {
    const release = this.#gate.hold();
    try {
      const sql = this.#db.sql;
      const live = liveSet(sql);
      const seq = readSeq(sql);
      info.seq = seq;
      const text = documentText(tableSnapshot(this.#reads(), seq), this.#hasher, result);
      for (;;) {
        if (liveSet(sql) !== live || readSeq(sql) !== seq) {
          throw new ConflictError("the graph changed while its document was being read; read it again");
        }
        const next = text.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      release();
    }
  }

  /** The document as a `DocumentSource` for the archive; its checksum is known once consumed. */
  #documentSource(): DocumentSource {
    const result: { checksum?: string } = {};
    const chunks = this.#documentChunks(result);
    return {
      chunks: (async function* () {
        for await (const text of chunks) yield encoder.encode(text);
      })(),
      get checksum() {
        return result.checksum;
      },
    };
  }

  // ---------------------------------------------------------------- snapshots and versions

  /** The current document's checksum (there is no snapshot to fold: the tables are the state). */
  async compact(): Promise<{ checksum: string; seq: number }> {
    this.#assertOpen();
    const result: { checksum?: string } = {};
    const seq = readSeq(this.#db.sql);
    for await (const _chunk of this.#documentChunks(result)) {
      // Only the checksum is wanted; the chunks are dropped as they come.
    }
    return { checksum: result.checksum!, seq };
  }

  save(): Promise<{ checksum: string; seq: number }> {
    return this.compact();
  }

  /** Streams the document into a new version; prunes old versions. */
  saveVersion(): Promise<SavedVersion> {
    this.#assertOpen();
    return this.#admin.run(() => this.#archive.saveVersion(this.#documentSource()));
  }

  listVersions(): Promise<VersionInfo[]> {
    return this.#archive.listVersions();
  }

  /**
   * The graph becomes that version, after a backup of the current state. The version streams
   * from the archive into the shadow tables (`#restoreStreamed`); one in another layout than
   * ours is loaded whole instead.
   */
  async restoreVersion(id: string, options: AuditOptions = {}): Promise<GraphStats> {
    assertTimestampId(id, "version");
    this.#assertOpen();
    const audit = this.auditOf({ ...options, source: options.source ?? "restore" });
    return this.#admin.run(async () => {
      const from = `graph_${id}.json`;
      const backup = await this.#restoreStreamed(await this.#archive.openVersion(id), audit);
      if (backup) {
        this.#emit({ type: "restored", from, backup: backup.id, streamed: true });
        return this.stats();
      }
      // Read and verified before anything is written (a bad version changes nothing).
      const graph = await this.#archive.loadVersion(id, this.now());
      const safety = await this.#backupLocked();
      await this.#importGraph(graph, undefined, audit);
      this.#emit({ type: "restored", from, backup: safety.id, streamed: false });
      return graph.stats();
    });
  }

  /**
   * Streams an archived document into a new import, record by record (never the whole document
   * or graph in memory: 128 MB isolates), verifying its checksums on the way; only once all of
   * it verified, backs up the current state and swaps the import in. So a bad document — or a
   * failure of the archive or of the tables midway — changes nothing, not even the backups
   * (a failed restore must not push a good backup out by retention). Writers keep going while
   * the import fills the shadow tables, so the safety backup, taken just before the swap, holds
   * their changes; as with any restore, one acknowledged between that backup and the swap is
   * replaced. `null`, having changed nothing, when the document is not in our line layout.
   */
  async #restoreStreamed(
    document: ArchivedDocument,
    audit: ChangeAudit,
    protect: readonly string[] = [],
  ): Promise<BackupInfo | null> {
    const graphImport = GraphImport.begin(this.#db);
    try {
      let imported: ImportedDocument | typeof NOT_LINE_LAYOUT;
      try {
        imported = await importDocumentStream(graphImport, document.chunks, {
          file: document.key,
          chunkRows: this.#chunkRows(),
          hasher: this.#hasher,
        });
        if (imported !== NOT_LINE_LAYOUT) document.checkRead();
      } catch (err) {
        throw await document.failure(err);
      }
      if (imported === NOT_LINE_LAYOUT) {
        graphImport.abort();
        return null;
      }
      const backup = await this.#backupLocked(protect);
      await this.#swapIn(graphImport, undefined, audit);
      return backup;
    } catch (err) {
      abortQuietly(graphImport);
      throw err;
    }
  }

  /**
   * Replaces the whole graph with a document in any accepted format (SPEC `PUT /api/graph`).
   * Validates first (nothing changes on bad input), backs up, then imports; the precondition
   * is checked before the backup and again inside the swap.
   */
  async replaceGraph(document: unknown, options: ReplaceOptions = {}): Promise<GraphStats> {
    this.#assertOpen();
    const audit = this.auditOf({ ...options, source: options.source ?? "import" });
    const { graph } = readDocument(document, { file: "document", now: this.now() });
    assertSubmittedChecksum(document, this.#hasher);
    const precondition = options.precondition;
    return this.#admin.run(async () => {
      if (precondition) this.#db.transactionSync(() => precondition(this.#workingGraph()));
      await this.#backupLocked();
      await this.#importGraph(graph, precondition, audit);
      return graph.stats();
    });
  }

  #workingGraph(): WorkingGraph {
    const reads = this.#reads();
    return new WorkingGraph(reads, readSeq(this.#db.sql), reads.metadata());
  }

  // ---------------------------------------------------------------- imports

  /**
   * Opens a chunked import (see `GraphImport`): for graphs too large to replace in one request.
   * `commitImport` swaps it in; no backup is made here (call `backup()` first to keep one).
   */
  beginImport(): GraphImport {
    this.#assertOpen();
    return GraphImport.begin(this.#db);
  }

  /** An import opened by an earlier request. */
  resumeImport(token: string): GraphImport {
    this.#assertOpen();
    return GraphImport.resume(this.#db, token);
  }

  /**
   * Swaps an import in, once no export is reading the tables; resolves to the new `seq`. The
   * change feed records it (source `import` unless `options` says otherwise).
   */
  async commitImport(
    graphImport: GraphImport,
    precondition?: (graph: KnowledgeGraph) => void,
    options: AuditOptions = {},
  ): Promise<number> {
    this.#assertOpen();
    return this.#swapIn(
      graphImport,
      precondition,
      this.auditOf({ ...options, source: options.source ?? "import" }),
    );
  }

  /**
   * `commitImport` with the feed record it makes: `audit`'s replacement record, stored in the
   * swap's transaction, or none for the first graph of new tables (`null`: history starts at
   * its `seq`).
   */
  async #swapIn(
    graphImport: GraphImport,
    precondition: ((graph: KnowledgeGraph) => void) | undefined,
    audit: ChangeAudit | null,
  ): Promise<number> {
    this.#assertOpen();
    await this.#gate.passage();
    let replaced = { nodes: 0, edges: 0, patterns: 0 };
    const seq = graphImport.commitSync(
      precondition && (() => precondition(this.#workingGraph())),
      (after, previous) => {
        const reads = this.#reads();
        replaced = {
          nodes: reads.count("nodes"),
          edges: reads.count("edges"),
          patterns: reads.count("patterns"),
        };
        if (previous === null || audit === null) clearChanges(this.#db.sql);
        else this.#record({ ...recordOf(previous, after, this.now(), audit, []), replaced });
      },
    );
    this.#changes.appended();
    this.#emit({ type: "imported", seq, ...replaced });
    return seq;
  }

  #chunkRows(): number {
    return Math.max(1, this.#options.importChunkRows ?? 1000);
  }

  /** Imports an in-memory graph in chunks of `importChunkRows` rows, then swaps it in. */
  async #importGraph(
    graph: KnowledgeGraph,
    precondition: ((graph: KnowledgeGraph) => void) | undefined,
    audit: ChangeAudit | null,
  ): Promise<number> {
    const rows = this.#chunkRows();
    const graphImport = GraphImport.begin(this.#db);
    try {
      graphImport.setDocument({
        seq: graph.seq,
        metadata: { ...graph.metadata },
        extras: { ...graph.extras },
      });
      for (const nodes of slices(graph.nodes(), rows)) graphImport.addChunk({ nodes });
      for (const edges of slices(graph.edges(), rows)) graphImport.addChunk({ edges });
      for (const patterns of slices(graph.patterns(), rows)) graphImport.addChunk({ patterns });
      return await this.#swapIn(graphImport, precondition, audit);
    } catch (err) {
      graphImport.abort();
      throw err;
    }
  }

  // ---------------------------------------------------------------- backups

  backup(): Promise<BackupInfo> {
    this.#assertOpen();
    return this.#admin.run(() => this.#backupLocked());
  }

  async #backupLocked(protect: readonly string[] = []): Promise<BackupInfo> {
    const seq = readSeq(this.#db.sql);
    return this.#archive.createBackup(this.#documentSource(), seq, protect);
  }

  listBackups(): Promise<BackupInfo[]> {
    return this.#archive.listBackups();
  }

  /**
   * Restores a backup's graph (every file checked against its manifest, the graph while it
   * streams in), after a safety backup.
   */
  async restoreBackup(id: string, options: AuditOptions = {}): Promise<GraphStats> {
    assertTimestampId(id, "backup");
    this.#assertOpen();
    const audit = this.auditOf({ ...options, source: options.source ?? "restore" });
    return this.#admin.run(async () => {
      const from = `backups/${id}/`;
      const streamed = await this.#restoreStreamed(await this.#archive.openBackupGraph(id), audit, [id]);
      if (streamed) {
        this.#emit({ type: "restored", from, backup: streamed.id, streamed: true });
        return this.stats();
      }
      // A graph.json in another layout (a backup of Python files): loaded whole, as before.
      const { graph } = await this.#archive.readBackup(id, this.now());
      const safety = await this.#backupLocked([id]);
      await this.#importGraph(graph, undefined, audit);
      this.#emit({ type: "restored", from, backup: safety.id, streamed: false });
      return graph.stats();
    });
  }

  deleteBackup(id: string): Promise<void> {
    assertTimestampId(id, "backup");
    this.#assertOpen();
    return this.#admin.run(() => this.#archive.deleteBackup(id));
  }

  // ---------------------------------------------------------------- integrity and close

  /** The tables' own consistency, then every version and backup in the archive. */
  async verify(): Promise<IntegrityReport> {
    const files: FileCheck[] = [checkTables(this.#db.sql, this.#tables())];
    await verifyStateFiles(this.#options.archive, { hasher: this.#hasher, now: this.now() }, files);
    return { ok: files.every((f) => f.ok), files };
  }

  /** Waits for running admin work, then refuses further writes. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#admin.run(() => {
      this.#closed = true;
    });
  }
}

/** A feed record from `from` to `seq`, with `audit`'s fields. */
function recordOf(
  from: number,
  seq: number,
  at: string,
  audit: ChangeAudit,
  changes: readonly Change[],
): ChangeRecord {
  const record: ChangeRecord = { seq, from, at, source: audit.source, changes };
  if (audit.actor !== undefined) record.actor = audit.actor;
  return record;
}

/** Drops a failed import; its own failure must not hide the error that made it fail. */
function abortQuietly(graphImport: GraphImport): void {
  try {
    graphImport.abort();
  } catch {
    // The shadow set is emptied again by the next import anyway.
  }
}

function* slices<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let slice: T[] = [];
  for (const item of items) {
    slice.push(item);
    if (slice.length === size) {
      yield slice;
      slice = [];
    }
  }
  if (slice.length > 0) yield slice;
}
