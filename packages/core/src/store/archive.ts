import { ConflictError, IntegrityError, NotFoundError } from "../errors/errors.ts";
import { storedChecksum } from "../format/trailer.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { concatBytes, type StorageAdapter } from "../storage/adapter.ts";
import { meterReads } from "../storage/metered-reads.ts";
import type { Clock } from "../util/clock.ts";
import { IGNORE_PROGRESS, type OnProgress, type ProgressCount, progressStep } from "../util/progress.ts";
import { type ArchivedDocument, openBackupDocument, openVersionDocument } from "./archived-document.ts";
import {
  type BackupFile,
  type BackupManifest,
  encodeManifest,
  hashBytes,
  listBackupIds,
  readManifest,
  verifyBackupFiles,
} from "./backup-files.ts";
import type { BackupInfo, SavedVersion, VersionInfo } from "./graph-service.ts";
import { readSnapshotFrom } from "./snapshot-io.ts";
import {
  backupPrefix,
  GRAPH_KEY,
  isBackedUpFile,
  MANIFEST_NAME,
  versionIdOf,
  versionKey,
} from "./storage-keys.ts";
import {
  assertTimestampId,
  compareTimestampIdsDesc,
  nextTimestampId,
  TIMESTAMP_ID,
  timestampIdToIso,
} from "./timestamp-ids.ts";

export type ArchiveEvent =
  | { type: "backup_created"; id: string }
  | { type: "backup_deleted"; id: string; reason: "retention" | "request" | "incomplete" }
  | { type: "version_deleted"; id: string };

export interface ArchiveOptions {
  hasher: HasherFactory;
  clock: Clock;
  /** Versions kept, newest first. Default 20. */
  versionRetention?: number;
  /** Backups kept, newest first. Default 30. */
  backupRetention?: number;
  /**
   * Several writers share the storage (Worker isolates over one bucket): every id is claimed
   * with a create-only write, and a writer that loses the claim takes the next id. A single
   * writer hands out ids in memory.
   */
  sharedWriters?: boolean;
  onEvent?: (event: ArchiveEvent) => void;
  /**
   * Reports the long steps: `backing up` (bytes copied into a new backup), `checking
   * backups/<id>/` (bytes hashed against its manifest) and `reading <key>` (a version's or
   * backup's graph being loaded).
   */
  onProgress?: OnProgress;
}

/**
 * A graph document to archive: bytes in memory, or a stored file to copy (streamed when the
 * adapter can). `checksum` is the document's own (SPEC section 4), reported back.
 */
export type DocumentSource =
  | { bytes: Uint8Array; checksum?: string }
  | { key: string; checksum?: string }
  /**
   * Produced while it is written (a store streaming from its tables). `checksum` may be a
   * getter: it is read only after the last chunk was consumed.
   */
  | { chunks: AsyncIterable<Uint8Array>; readonly checksum?: string };

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return concatBytes(parts);
}

/** A collision on a create-only claim this many times in a row is a bug, not a race. */
const MAX_ID_CLAIMS = 50;

/**
 * Versions (`graph_<id>.json`) and backups (`backups/<id>/` + `manifest.json`) of a graph, over
 * any storage adapter (SPEC sections 3 and 6). Every store uses this one implementation.
 *
 * - Ids are unique even within one second (`-N`), sort in creation order, and are never
 *   handed out twice (see `nextTimestampId`).
 * - Retention never removes the entry being made, nor what the caller protects (the backup a
 *   restore reads from).
 * - A backup is trusted by its manifest: every file must match the manifest's SHA-256 before it
 *   is restored, so formats without a checksum of their own (seed, Python) restore too.
 */
export class GraphArchive {
  readonly #storage: StorageAdapter;
  readonly #options: ArchiveOptions;
  /** The newest id this instance made: never handed out again (even once deleted). */
  #lastIssued: string | null = null;

  constructor(storage: StorageAdapter, options: ArchiveOptions) {
    this.#storage = storage;
    this.#options = options;
  }

  #emit(event: ArchiveEvent): void {
    this.#options.onEvent?.(event);
  }

  /** The storage, counting what is read through it as `step` when progress is reported. */
  #meteredReads(step: string, total: number | undefined): StorageAdapter {
    const onProgress = this.#options.onProgress;
    return onProgress
      ? meterReads(this.#storage, progressStep(onProgress, step, "bytes", total))
      : this.#storage;
  }

  // ---------------------------------------------------------------- ids

  /**
   * Writes `first` (a version file, or a backup's graph) under a new id for `at`, and returns
   * the id. Shared storage: create-only, moving on to the next id when another writer took it.
   */
  async #claim(
    existing: readonly string[],
    key: (id: string) => string,
    first: DocumentSource,
    count?: ProgressCount,
  ): Promise<{ id: string; size: number; sha256: string }> {
    const at = this.#options.clock.now();
    if ("chunks" in first && this.#options.sharedWriters) {
      // A claim may be retried under the next id: a stream can be read only once.
      const bytes = await collect(first.chunks);
      first = { bytes, checksum: first.checksum };
    }
    const taken = this.#lastIssued ? [...existing, this.#lastIssued] : [...existing];
    if (!this.#options.sharedWriters) {
      const id = nextTimestampId(at, taken);
      this.#lastIssued = id;
      return { id, ...(await this.#write(key(id), first, false, count)) };
    }
    for (let i = 0; i < MAX_ID_CLAIMS; i++) {
      const id = nextTimestampId(at, taken);
      try {
        const written = await this.#write(key(id), first, true, count);
        this.#lastIssued = id;
        return { id, ...written };
      } catch (err) {
        if (!(err instanceof ConflictError && err.code === "precondition_failed")) throw err;
        taken.push(id);
      }
    }
    throw new ConflictError(`could not claim an id for ${key("<id>")}`);
  }

  /** Writes a document; returns its size and the SHA-256 of its bytes. `count` gets the bytes written. */
  async #write(
    target: string,
    source: DocumentSource,
    createOnly: boolean,
    count: ProgressCount = IGNORE_PROGRESS,
  ): Promise<{ size: number; sha256: string }> {
    if ("chunks" in source) {
      if (createOnly || !this.#storage.putStream) {
        const bytes = await collect(source.chunks);
        return this.#write(target, { bytes, checksum: source.checksum }, createOnly, count);
      }
      const hasher = this.#options.hasher();
      let size = 0;
      const chunks = source.chunks;
      async function* counted(): AsyncGenerator<Uint8Array> {
        for await (const chunk of chunks) {
          hasher.update(chunk);
          size += chunk.length;
          yield chunk;
          count(chunk.length);
        }
      }
      await this.#storage.putStream(target, counted());
      return { size, sha256: hasher.digestHex() };
    }
    if ("bytes" in source) {
      await this.#storage.put(target, source.bytes, createOnly ? { ifNoneMatch: "*" } : {});
      count(source.bytes.length);
      return { size: source.bytes.length, sha256: hashBytes(source.bytes, this.#options.hasher) };
    }
    if (createOnly || !this.#storage.getStream || !this.#storage.putStream) {
      const stored = await this.#storage.get(source.key);
      if (!stored) throw new NotFoundError(`${source.key} does not exist`);
      return this.#write(target, { bytes: stored.body, checksum: source.checksum }, createOnly, count);
    }
    const hasher = this.#options.hasher();
    let size = 0;
    const stream = await this.#storage.getStream(source.key);
    if (!stream) throw new NotFoundError(`${source.key} does not exist`);
    const reader = stream[Symbol.asyncIterator]();
    async function* counted(): AsyncGenerator<Uint8Array> {
      for (let next = await reader.next(); !next.done; next = await reader.next()) {
        hasher.update(next.value);
        size += next.value.length;
        yield next.value;
        count(next.value.length);
      }
    }
    try {
      await this.#storage.putStream(target, counted());
    } finally {
      // putStream can fail before it pulls a chunk (mkdir, temp-file open): close the source.
      await Promise.resolve(reader.return?.()).catch(() => undefined);
    }
    return { size, sha256: hasher.digestHex() };
  }

  /**
   * Version and backup ids together: one creation order for both, also across restarts
   * (recovery searches both kinds, newest id first, and stops at the first too old to continue).
   */
  async #allIds(): Promise<string[]> {
    return [...(await this.versionIds()), ...(await listBackupIds(this.#storage)).map((b) => b.id)];
  }

  // ---------------------------------------------------------------- versions

  /** Version ids, newest first. */
  async versionIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const { key } of await this.#storage.list("graph_")) {
      const id = versionIdOf(key);
      if (id) ids.push(id);
    }
    return ids.sort(compareTimestampIdsDesc);
  }

  /** Stores `document` as a new version and prunes the oldest others beyond retention. */
  async saveVersion(document: DocumentSource): Promise<SavedVersion> {
    const { id, size } = await this.#claim(await this.#allIds(), versionKey, document);
    const keep = Math.max(1, this.#options.versionRetention ?? 20);
    for (const old of (await this.versionIds()).filter((v) => v !== id).slice(keep - 1)) {
      await this.#storage.delete(versionKey(old));
      this.#emit({ type: "version_deleted", id: old });
    }
    return { id, checksum: document.checksum ?? "", created: this.#now(), size };
  }

  #now(): string {
    return this.#options.clock.now().toISOString();
  }

  /** Saved versions, newest first, with the checksum of each file's trailer. */
  async listVersions(): Promise<VersionInfo[]> {
    const sizes = new Map((await this.#storage.list("graph_")).map((o) => [o.key, o.size]));
    const out: VersionInfo[] = [];
    for (const id of await this.versionIds()) {
      const key = versionKey(id);
      if (!sizes.has(key)) continue; // pruned meanwhile
      out.push({
        id,
        created: timestampIdToIso(id),
        size: sizes.get(key) ?? 0,
        checksum: await storedChecksum(this.#storage, key),
      });
    }
    return out;
  }

  /** A version's graph, verified; `NotFoundError` when there is none. */
  async loadVersion(id: string, now: string): Promise<KnowledgeGraph> {
    assertTimestampId(id, "version");
    const loaded = await readSnapshotFrom(this.#storage, versionKey(id), {
      hasher: this.#options.hasher,
      now,
      onProgress: this.#options.onProgress,
    });
    if (!loaded) throw new NotFoundError(`version ${id} does not exist`);
    return loaded.graph;
  }

  /**
   * A version's document opened for one streaming pass (see `ArchivedDocument`), for a store
   * that imports it record by record instead of loading it (`loadVersion`). Nothing is verified
   * yet: the reader checks the trailer as it goes. `NotFoundError` when there is none.
   */
  openVersion(id: string): Promise<ArchivedDocument> {
    assertTimestampId(id, "version");
    return openVersionDocument(this.#storage, id);
  }

  // ---------------------------------------------------------------- backups

  /**
   * `backups/<id>/`: the graph document first (the claim), copies of the top-level state
   * files, then `manifest.json` last — a backup without a manifest is incomplete and never
   * used. Then retention, which keeps the new backup and every id in `protect`.
   */
  async createBackup(
    graph: DocumentSource,
    seq: number,
    protect: readonly string[] = [],
  ): Promise<BackupInfo> {
    const count = this.#options.onProgress
      ? progressStep(this.#options.onProgress, "backing up", "bytes", await this.#backupSize(graph))
      : IGNORE_PROGRESS;
    const { id, size, sha256 } = await this.#claim(
      await this.#allIds(),
      (candidate) => `${backupPrefix(candidate)}${GRAPH_KEY}`,
      graph,
      count,
    );
    const prefix = backupPrefix(id);
    const files: BackupFile[] = [{ name: GRAPH_KEY, size, checksum: sha256 }];
    for (const { key } of await this.#storage.list("")) {
      if (!isBackedUpFile(key)) continue;
      const stored = await this.#storage.get(key);
      if (!stored) continue;
      await this.#storage.put(`${prefix}${key}`, stored.body);
      count(stored.body.length);
      files.push({
        name: key,
        size: stored.body.length,
        checksum: hashBytes(stored.body, this.#options.hasher),
      });
    }
    const manifest: BackupManifest = { id, created: this.#now(), seq, files };
    await this.#storage.put(`${prefix}${MANIFEST_NAME}`, encodeManifest(manifest));
    this.#emit({ type: "backup_created", id });
    const keep = Math.max(1, this.#options.backupRetention ?? 30);
    const others = (await listBackupIds(this.#storage))
      .filter((b) => b.complete && b.id !== id && !protect.includes(b.id))
      .map((b) => b.id);
    for (const old of others.slice(Math.max(0, keep - 1 - protect.length))) {
      await this.#deleteFiles(old);
      this.#emit({ type: "backup_deleted", id: old, reason: "retention" });
    }
    return manifest;
  }

  /**
   * The bytes a backup of `graph` copies, from one listing (the graph and the state files), or
   * `undefined` when the graph's size is not known before it is produced.
   */
  async #backupSize(graph: DocumentSource): Promise<number | undefined> {
    const listing = await this.#storage.list("");
    const graphSize =
      "bytes" in graph
        ? graph.bytes.length
        : "key" in graph
          ? listing.find((o) => o.key === graph.key)?.size
          : undefined;
    if (graphSize === undefined) return undefined;
    return listing.reduce((sum, o) => (isBackedUpFile(o.key) ? sum + o.size : sum), graphSize);
  }

  /** Complete backups, newest first. A manifest that cannot be read is left out (see `verify`). */
  async listBackups(): Promise<BackupInfo[]> {
    const out: BackupInfo[] = [];
    for (const { id, complete } of await listBackupIds(this.#storage)) {
      // Only our ids: a folder someone else put under backups/ is not a backup.
      if (!complete || !TIMESTAMP_ID.test(id)) continue;
      try {
        const m = await readManifest(this.#storage, id);
        out.push({ id, created: m.created, seq: m.seq, files: m.files });
      } catch (err) {
        // Damaged, or deleted by another writer between listing and reading.
        if (!(err instanceof IntegrityError || err instanceof NotFoundError)) throw err;
      }
    }
    return out;
  }

  /** A backup's manifest and graph, every file checked against the manifest first. */
  async readBackup(id: string, now: string): Promise<{ manifest: BackupManifest; graph: KnowledgeGraph }> {
    assertTimestampId(id, "backup");
    const manifest = await readManifest(this.#storage, id);
    const listed = manifest.files.reduce((sum, f) => sum + (Number.isSafeInteger(f.size) ? f.size : 0), 0);
    await verifyBackupFiles(
      this.#meteredReads(`checking ${backupPrefix(id)}`, listed),
      manifest,
      this.#options.hasher,
    );
    const loaded = manifest.files.some((f) => f.name === GRAPH_KEY)
      ? await readSnapshotFrom(this.#storage, `${backupPrefix(id)}${GRAPH_KEY}`, {
          hasher: this.#options.hasher,
          now,
          allowUnchecksummed: true,
          onProgress: this.#options.onProgress,
        })
      : null;
    if (!loaded) {
      throw new IntegrityError("integrity_error", "backup has no graph.json", {
        file: backupPrefix(id) + MANIFEST_NAME,
      });
    }
    return { manifest, graph: loaded.graph };
  }

  /**
   * A backup's graph opened for one streaming pass, the streaming counterpart of `readBackup`:
   * the manifest and every other file are checked first; the graph's manifest SHA-256 is
   * checked over the bytes as they are read (`checkRead`).
   */
  openBackupGraph(id: string): Promise<ArchivedDocument & { manifest: BackupManifest }> {
    assertTimestampId(id, "backup");
    return openBackupDocument(this.#storage, id, this.#options.hasher);
  }

  /** Copies a backup's state files (not the graph) back to the top level. */
  async restoreStateFiles(manifest: BackupManifest): Promise<void> {
    for (const file of manifest.files) {
      if (file.name === GRAPH_KEY) continue;
      const stored = await this.#storage.get(`${backupPrefix(manifest.id)}${file.name}`);
      if (stored) await this.#storage.put(file.name, stored.body);
    }
  }

  async deleteBackup(id: string): Promise<void> {
    assertTimestampId(id, "backup");
    const keys = await this.#storage.list(backupPrefix(id));
    if (keys.length === 0) throw new NotFoundError(`backup ${id} does not exist`);
    await this.#deleteFiles(id);
    this.#emit({ type: "backup_deleted", id, reason: "request" });
  }

  /**
   * Removes backups without a manifest: what a crash mid-backup leaves (the manifest is written
   * last). Only ids of our own format: never a directory someone else put under `backups/`.
   * Only for a single writer (another writer's backup may be in progress).
   */
  async removeIncompleteBackups(): Promise<void> {
    for (const { id, complete } of await listBackupIds(this.#storage)) {
      if (complete || !TIMESTAMP_ID.test(id)) continue;
      await this.#deleteFiles(id);
      this.#emit({ type: "backup_deleted", id, reason: "incomplete" });
    }
  }

  /** The manifest goes first: an interrupted delete leaves an incomplete backup, never a wrong one. */
  async #deleteFiles(id: string): Promise<void> {
    const prefix = backupPrefix(id);
    await this.#storage.delete(`${prefix}${MANIFEST_NAME}`);
    for (const { key } of await this.#storage.list(prefix)) await this.#storage.delete(key);
  }
}
