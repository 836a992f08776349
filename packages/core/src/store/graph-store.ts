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
import { captureSnapshot, encodeDocument } from "../format/write-document.ts";
import type { Change } from "../graph/changes.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphEdge, GraphNode, GraphStats, JsonObject, Pattern } from "../graph/types.ts";
import { assertId } from "../graph/validate.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import {
  type BackupFile,
  type BackupManifest,
  encodeManifest,
  hashBytes,
  listBackupIds,
  readBackupFiles,
  readManifest,
} from "./backup-files.ts";
import { type Clock, systemClock } from "./clock.ts";
import { loadGraphBytes } from "./load-graph.ts";
import { PersistQueue } from "./persist-queue.ts";
import { resolveBatch, resolveEdge, resolveNodePut } from "./resolve-ops.ts";
import {
  backupPrefix,
  GRAPH_KEY,
  isBackedUpFile,
  MANIFEST_NAME,
  SEED_KEY,
  versionIdOf,
  versionKey,
} from "./storage-keys.ts";
import {
  assertTimestampId,
  compareTimestampIdsDesc,
  nextTimestampId,
  timestampIdToIso,
} from "./timestamp-ids.ts";
import { type IntegrityReport, verifyStorage } from "./verify-storage.ts";

export interface GraphStoreOptions {
  /** Document used to initialise an empty storage (any accepted format). Default: the shipped seed. */
  seed?: unknown;
  clock?: Clock;
  /** Incremental SHA-256; Node injects `node:crypto` for speed. */
  hasher?: HasherFactory;
  /** Versions kept (newest first). Default 20. */
  versionRetention?: number;
  /** Backups kept (newest first). Default 30. */
  backupRetention?: number;
  /** Never write: recovery happens in memory only. */
  readOnly?: boolean;
  /** Structured events: seeding, migration, recovery, backups. */
  onEvent?: (event: StoreEvent) => void;
}

export type StoreEvent =
  | { type: "seeded"; nodes: number; edges: number }
  | { type: "migrated"; from: string; backup: string }
  | { type: "recovered"; report: RecoveryReport }
  | { type: "backup_created"; id: string }
  | { type: "backup_deleted"; id: string; reason: "retention" | "request" }
  | { type: "version_deleted"; id: string }
  | { type: "restored"; from: string; backup: string };

/** What open did when `graph.json` was damaged (SPEC section 6). */
export interface RecoveryReport {
  file: string;
  error: { code: string; message: string };
  /** The key the graph was recovered from. */
  recoveredFrom: string;
  recoveredSeq: number;
  /** Where the damaged bytes were kept, if they were. */
  preservedAs: string | null;
  /** What could not be recovered, in words. */
  lost: string;
}

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

/** Raw stored bytes + checksum of a snapshot, for writing the same bytes in several places. */
interface EncodedSnapshot {
  bytes: Uint8Array;
  checksum: string;
  seq: number;
}

/**
 * The graph over a storage adapter: open (load, verify, index; seed an empty storage;
 * recover a damaged `graph.json`), mutations acknowledged only once durable, snapshots,
 * versions, backups, restore and verification. One instance per storage, one writer.
 */
export class GraphStore {
  readonly storage: StorageAdapter;
  readonly #clock: Clock;
  readonly #hasher: HasherFactory;
  readonly #options: GraphStoreOptions;
  #graph = new KnowledgeGraph();
  #checksum: string | null = null;
  #recovery: RecoveryReport | null = null;
  #exclusive: Promise<void> | null = null;
  #closed = false;
  readonly #queue: PersistQueue;

  private constructor(storage: StorageAdapter, options: GraphStoreOptions) {
    this.storage = storage;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#hasher = options.hasher ?? createSha256;
    this.#queue = new PersistQueue(() => this.#writeSnapshot().then(() => undefined));
  }

  /** Opens the graph stored in `storage`, initialising it from the seed when it is empty. */
  static async open(storage: StorageAdapter, options: GraphStoreOptions = {}): Promise<GraphStore> {
    const store = new GraphStore(storage, options);
    await store.#load();
    return store;
  }

  /** The live graph. Read from it freely; change it only through the store. */
  get graph(): KnowledgeGraph {
    return this.#graph;
  }

  get readOnly(): boolean {
    return this.#options.readOnly === true;
  }

  /** Set when open had to recover from a damaged `graph.json`. */
  get recovery(): RecoveryReport | null {
    return this.#recovery;
  }

  /** Checksum of the last snapshot written or loaded. */
  get checksum(): string | null {
    return this.#checksum;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }

  #emit(event: StoreEvent): void {
    this.#options.onEvent?.(event);
  }

  // ---------------------------------------------------------------- open

  async #load(): Promise<void> {
    const stored = await this.storage.get(GRAPH_KEY);
    if (stored === null) {
      const hasHistory =
        (await this.#versionIds()).length > 0 || (await listBackupIds(this.storage)).length > 0;
      if (!hasHistory) return this.#initialiseFromSeed();
      return this.#recover(new IntegrityError("empty_file", "file is missing", { file: GRAPH_KEY }), null);
    }
    let loaded: ReturnType<typeof loadGraphBytes>;
    try {
      loaded = loadGraphBytes(stored.body, GRAPH_KEY, {
        hasher: this.#hasher,
        now: this.#now(),
        allowUnchecksummed: true,
      });
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      return this.#recover(err, stored.body);
    }
    this.#graph = loaded.graph;
    this.#checksum = loaded.checksum;
    if (loaded.format !== "dawsos" && !this.readOnly) {
      // A graph.json from the original Python DawsOS: keep the original bytes in a backup,
      // then write it in our format.
      const backup = await this.#createBackup(stored.body);
      await this.#writeSnapshot();
      this.#emit({ type: "migrated", from: loaded.format, backup: backup.id });
    }
  }

  async #initialiseFromSeed(): Promise<void> {
    const seed = this.#options.seed ?? investmentFrameworkSeed;
    const { graph } = readDocument(seed, { file: "seed", now: this.#now() });
    this.#graph = graph;
    if (this.readOnly) return;
    await this.storage.put(SEED_KEY, `${JSON.stringify(seed, null, 2)}\n`);
    await this.#writeSnapshot();
    this.#emit({ type: "seeded", nodes: graph.nodeCount, edges: graph.edgeCount });
  }

  /**
   * `graph.json` is damaged or missing: load the newest valid version or backup, keep the
   * damaged bytes aside, and write the recovered graph. Never serves or writes a damaged or
   * empty graph; with nothing valid it refuses, naming the file.
   */
  async #recover(error: IntegrityError, damaged: Uint8Array | null): Promise<void> {
    const candidates = [
      ...(await this.#versionIds()).map((id) => ({ id, key: versionKey(id) })),
      ...(await listBackupIds(this.storage))
        .filter((b) => b.complete)
        .map((b) => ({ id: b.id, key: `${backupPrefix(b.id)}${GRAPH_KEY}` })),
    ].sort((a, b) => compareTimestampIdsDesc(a.id, b.id));
    const skipped: string[] = [];
    for (const candidate of candidates) {
      const stored = await this.storage.get(candidate.key);
      if (!stored) continue;
      let graph: KnowledgeGraph;
      try {
        graph = loadGraphBytes(stored.body, candidate.key, { hasher: this.#hasher, now: this.#now() }).graph;
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        skipped.push(candidate.key);
        continue;
      }
      this.#graph = graph;
      let preservedAs: string | null = null;
      if (!this.readOnly) {
        if (damaged && damaged.length > 0) {
          preservedAs = `${GRAPH_KEY}.damaged-${nextTimestampId(this.#clock.now(), () => false)}`;
          await this.storage.put(preservedAs, damaged);
        }
        await this.#writeSnapshot();
      }
      this.#recovery = {
        file: GRAPH_KEY,
        error: { code: error.code, message: error.message },
        recoveredFrom: candidate.key,
        recoveredSeq: graph.seq,
        preservedAs,
        lost:
          `changes made after ${candidate.key} was written (${timestampIdToIso(candidate.id)}) could not be recovered` +
          (skipped.length > 0 ? `; also damaged: ${skipped.join(", ")}` : ""),
      };
      this.#emit({ type: "recovered", report: this.#recovery });
      return;
    }
    throw new IntegrityError(
      error.code as IntegrityCode,
      `${error.message.replace(`${GRAPH_KEY}: `, "")}; no valid version or backup to recover from` +
        (skipped.length > 0 ? ` (damaged too: ${skipped.join(", ")})` : ""),
      { file: GRAPH_KEY, cause: error },
    );
  }

  // ---------------------------------------------------------------- mutations

  #assertWritable(): void {
    if (this.readOnly) throw new ReadOnlyError();
    if (this.#closed) throw new DawsosError("storage_error", "the store is closed");
  }

  async #whenNotExclusive(): Promise<void> {
    while (this.#exclusive) await this.#exclusive;
  }

  /**
   * Applies change records all-or-nothing and resolves once they are durable. Invalid changes
   * throw before anything changes; a failed write rolls memory back to what is durable.
   * Resolves to the graph's `seq` after the change.
   */
  async commit(changes: readonly Change[]): Promise<number> {
    this.#assertWritable();
    await this.#whenNotExclusive();
    this.#assertWritable();
    const undo = this.#graph.apply(changes);
    const seq = this.#graph.seq;
    await this.#queue.enqueue(undo);
    return seq;
  }

  /** Creates or replaces a node. Unknown fields of an existing node are kept. */
  async putNode(
    id: string,
    input: { type: string; data?: JsonObject },
  ): Promise<{ node: GraphNode; created: boolean }> {
    const change = resolveNodePut(this.#graph, id, input, this.#now());
    const created = !this.#graph.hasNode(id);
    await this.commit([change]);
    return { node: change.node, created };
  }

  /** Merges `data` into the node's data (JSON merge patch). */
  async patchNode(id: string, data: JsonObject): Promise<GraphNode> {
    assertId(id, "node id");
    await this.commit([{ op: "patch_node", at: this.#now(), id, data }]);
    return this.#graph.getNode(id)!;
  }

  /** Deletes a node and its edges. */
  async deleteNode(id: string): Promise<void> {
    await this.commit([{ op: "delete_node", at: this.#now(), id }]);
  }

  async addEdge(input: {
    from: string;
    to: string;
    type: string;
    strength?: number;
    id?: string;
    metadata?: JsonObject;
  }): Promise<GraphEdge> {
    const change = resolveEdge(this.#graph, input, this.#now(), new Set());
    await this.commit([change]);
    return change.edge;
  }

  async deleteEdge(id: string): Promise<void> {
    await this.commit([{ op: "delete_edge", at: this.#now(), id }]);
  }

  async putPattern(id: string, pattern: Pattern): Promise<{ created: boolean }> {
    const created = this.#graph.getPattern(id) === undefined;
    await this.commit([{ op: "put_pattern", at: this.#now(), id, pattern }]);
    return { created };
  }

  async deletePattern(id: string): Promise<void> {
    await this.commit([{ op: "delete_pattern", at: this.#now(), id }]);
  }

  /**
   * Applies batch operations (SPEC `POST /api/batch`) all-or-nothing as one commit. A failing
   * operation throws a `ValidationError` whose details name its index; nothing is applied.
   */
  async applyBatch(ops: readonly BatchOp[]): Promise<{ applied: number; seq: number }> {
    const changes = resolveBatch(this.#graph, ops, this.#now());
    try {
      const seq = await this.commit(changes);
      return { applied: changes.length, seq };
    } catch (err) {
      if (err instanceof DawsosError && err.changeIndex !== undefined) {
        throw new ValidationError(`op ${err.changeIndex}: ${err.message}`, {
          cause: err,
          details: { index: err.changeIndex, code: err.code },
        });
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- snapshots and versions

  /** Runs `fn` with no commit in flight and none starting until it finishes. */
  async #runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertWritable();
    while (this.#exclusive) await this.#exclusive;
    let release!: () => void;
    this.#exclusive = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await this.#queue.drain();
      return await fn();
    } finally {
      this.#exclusive = null;
      release();
    }
  }

  async #encode(): Promise<EncodedSnapshot> {
    const snapshot = captureSnapshot(this.#graph);
    const { bytes, checksum } = await encodeDocument(snapshot, this.#hasher);
    return { bytes, checksum, seq: snapshot.seq };
  }

  async #writeSnapshot(): Promise<EncodedSnapshot> {
    const encoded = await this.#encode();
    await this.storage.put(GRAPH_KEY, encoded.bytes);
    this.#checksum = encoded.checksum;
    return encoded;
  }

  /** Writes a full snapshot of the current graph to `graph.json`. */
  async save(): Promise<{ checksum: string; seq: number }> {
    return this.#runExclusive(async () => {
      const { checksum, seq } = await this.#writeSnapshot();
      return { checksum, seq };
    });
  }

  /** Full snapshot plus a versioned copy `graph_YYYYmmdd_HHMMSS.json`; prunes old versions. */
  async saveVersion(): Promise<SavedVersion> {
    return this.#runExclusive(async () => {
      const encoded = await this.#writeSnapshot();
      const existing = new Set(await this.#versionIds());
      const at = this.#clock.now();
      const id = nextTimestampId(at, (candidate) => existing.has(candidate));
      await this.storage.put(versionKey(id), encoded.bytes);
      const keep = this.#options.versionRetention ?? 20;
      const all = [id, ...existing].sort(compareTimestampIdsDesc);
      for (const old of all.slice(keep)) {
        await this.storage.delete(versionKey(old));
        this.#emit({ type: "version_deleted", id: old });
      }
      return { id, checksum: encoded.checksum, created: at.toISOString(), size: encoded.bytes.length };
    });
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
      const stored = await this.storage.get(key);
      if (!stored) continue;
      out.push({
        id,
        created: timestampIdToIso(id),
        size: listed.get(key) ?? stored.body.length,
        checksum: trailerChecksum(stored.body),
      });
    }
    return out;
  }

  /** The graph becomes that version (a backup of the current state is made first). */
  async restoreVersion(id: string): Promise<GraphStats> {
    assertTimestampId(id, "version");
    return this.#runExclusive(async () => {
      const key = versionKey(id);
      const stored = await this.storage.get(key);
      if (!stored) throw new NotFoundError(`version ${id} does not exist`);
      const { graph } = loadGraphBytes(stored.body, key, { hasher: this.#hasher, now: this.#now() });
      const backup = await this.#createBackup(null);
      await this.#replace(graph);
      this.#emit({ type: "restored", from: key, backup: backup.id });
      return graph.stats();
    });
  }

  /**
   * Replaces the whole graph with a document in any accepted format (SPEC `PUT /api/graph`,
   * `dawsos import`). Validates first (nothing changes on bad input), then backs up.
   */
  async replaceGraph(document: unknown): Promise<GraphStats> {
    this.#assertWritable();
    const { graph } = readDocument(document, { file: "document", now: this.#now() });
    return this.#runExclusive(async () => {
      await this.#createBackup(null);
      await this.#replace(graph);
      return graph.stats();
    });
  }

  /** Swaps in `graph` with a `seq` past the current one, so ETags never repeat. */
  async #replace(graph: KnowledgeGraph): Promise<void> {
    const previous = this.#graph;
    graph.advanceSeq(previous.seq + 1);
    this.#graph = graph;
    try {
      await this.#writeSnapshot();
    } catch (err) {
      this.#graph = previous;
      throw err;
    }
  }

  // ---------------------------------------------------------------- backups

  /** A full backup: the graph snapshot and every top-level `*.json` state file, with a manifest. */
  async backup(): Promise<BackupInfo> {
    return this.#runExclusive(() => this.#createBackup(null));
  }

  /**
   * Writes `backups/<id>/`: `graph.json` (the current graph, or `graphBytes` when given — the
   * original file during a migration), copies of the other state files, then `manifest.json`
   * last. Then applies retention.
   */
  async #createBackup(graphBytes: Uint8Array | null): Promise<BackupInfo> {
    const existing = await listBackupIds(this.storage);
    const taken = new Set(existing.map((b) => b.id));
    const at = this.#clock.now();
    const id = nextTimestampId(at, (candidate) => taken.has(candidate));
    const prefix = backupPrefix(id);
    const contents = new Map<string, Uint8Array>();
    contents.set(GRAPH_KEY, graphBytes ?? (await this.#encode()).bytes);
    for (const { key } of await this.storage.list("")) {
      if (!isBackedUpFile(key)) continue;
      const stored = await this.storage.get(key);
      if (stored) contents.set(key, stored.body);
    }
    const files: BackupFile[] = [];
    for (const [name, bytes] of contents) {
      await this.storage.put(`${prefix}${name}`, bytes);
      files.push({ name, size: bytes.length, checksum: hashBytes(bytes, this.#hasher) });
    }
    const manifest: BackupManifest = { id, created: at.toISOString(), seq: this.#graph.seq, files };
    await this.storage.put(`${prefix}${MANIFEST_NAME}`, encodeManifest(manifest));
    this.#emit({ type: "backup_created", id });
    const keep = this.#options.backupRetention ?? 30;
    const complete = [{ id, complete: true }, ...existing.filter((b) => b.complete)].sort((a, b) =>
      compareTimestampIdsDesc(a.id, b.id),
    );
    for (const old of complete.slice(keep)) {
      await this.#deleteBackupFiles(old.id);
      this.#emit({ type: "backup_deleted", id: old.id, reason: "retention" });
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
    return this.#runExclusive(async () => {
      const manifest = await readManifest(this.storage, id);
      const files = await readBackupFiles(this.storage, manifest, this.#hasher);
      const graphBytes = files.get(GRAPH_KEY);
      if (!graphBytes) {
        throw new IntegrityError("integrity_error", "backup has no graph.json", {
          file: backupPrefix(id) + MANIFEST_NAME,
        });
      }
      const { graph } = loadGraphBytes(graphBytes, `${backupPrefix(id)}${GRAPH_KEY}`, {
        hasher: this.#hasher,
        now: this.#now(),
        allowUnchecksummed: true,
      });
      const safety = await this.#createBackup(null);
      for (const [name, bytes] of files) if (name !== GRAPH_KEY) await this.storage.put(name, bytes);
      await this.#replace(graph);
      this.#emit({ type: "restored", from: backupPrefix(id), backup: safety.id });
      return graph.stats();
    });
  }

  /** Deletes a backup. The manifest goes first, so an interrupted delete leaves an incomplete backup, never a wrong one. */
  async deleteBackup(id: string): Promise<void> {
    assertTimestampId(id, "backup");
    return this.#runExclusive(async () => {
      const keys = await this.storage.list(backupPrefix(id));
      if (keys.length === 0) throw new NotFoundError(`backup ${id} does not exist`);
      await this.#deleteBackupFiles(id);
      this.#emit({ type: "backup_deleted", id, reason: "request" });
    });
  }

  async #deleteBackupFiles(id: string): Promise<void> {
    const prefix = backupPrefix(id);
    await this.storage.delete(`${prefix}${MANIFEST_NAME}`);
    for (const { key } of await this.storage.list(prefix)) await this.storage.delete(key);
  }

  // ---------------------------------------------------------------- integrity

  /** Verifies every stored file: graph, versions, backups, seed and workflow history. */
  async verify(): Promise<IntegrityReport> {
    const report = await verifyStorage(this.storage, { hasher: this.#hasher, now: this.#now() });
    return this.#recovery ? { ...report, recovery: this.#recovery } : report;
  }

  /** Waits for pending writes, then refuses further writes. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#whenNotExclusive();
    await this.#queue.drain();
    this.#closed = true;
  }
}

/** The checksum from a file's trailer (written by `writeDocument`), or `null`. */
export function trailerChecksum(bytes: Uint8Array): string | null {
  const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 200)));
  return /"checksum":"([0-9a-f]{64})"\}\s*$/.exec(tail)?.[1] ?? null;
}
