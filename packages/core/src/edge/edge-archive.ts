import { ConflictError, IntegrityError, NotFoundError } from "../errors/errors.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import {
  type BackupFile,
  type BackupManifest,
  encodeManifest,
  hashBytes,
  listBackupIds,
  readManifest,
  verifyBackupFiles,
} from "../store/backup-files.ts";
import type { BackupInfo, SavedVersion, VersionInfo } from "../store/graph-store.ts";
import { trailerChecksum } from "../store/graph-store.ts";
import { readSnapshotFrom } from "../store/snapshot-io.ts";
import {
  backupPrefix,
  GRAPH_KEY,
  isBackedUpFile,
  MANIFEST_NAME,
  versionIdOf,
  versionKey,
} from "../store/storage-keys.ts";
import {
  assertTimestampId,
  compareTimestampIdsDesc,
  nextTimestampId,
  timestampIdToIso,
} from "../store/timestamp-ids.ts";
import { isPreconditionFailed } from "./edge-events.ts";

export interface ArchiveOptions {
  hasher: HasherFactory;
  versionRetention: number;
  backupRetention: number;
  onDeleted: (what: "version" | "backup", id: string) => void;
}

/** Bytes at the end of a document that hold its checksum trailer (with room to spare). */
const TRAILER_BYTES = 256;

/** Ids are claimed with a create-only write; this many collisions in a row is a bug, not a race. */
const MAX_ID_CLAIMS = 50;

/**
 * Versions (`graph_<id>.json`) and backups (`backups/<id>/`) of a graph shared by several
 * writers. Same keys and manifest format as `GraphStore` (SPEC section 3); the difference is
 * how an id is taken: two isolates saving in the same second must not write into one
 * another's files, so the first object of a version or backup is written create-only and a
 * writer that loses the claim takes the next id (`-2`, `-3`, …).
 */
export class EdgeArchive {
  readonly #storage: StorageAdapter;
  readonly #options: ArchiveOptions;

  constructor(storage: StorageAdapter, options: ArchiveOptions) {
    this.#storage = storage;
    this.#options = options;
  }

  /** Writes `bytes` under the first free id for `at`, create-only; returns the id. */
  async #claim(
    at: Date,
    taken: Set<string>,
    key: (id: string) => string,
    bytes: Uint8Array,
  ): Promise<string> {
    for (let i = 0; i < MAX_ID_CLAIMS; i++) {
      const id = nextTimestampId(at, taken);
      try {
        await this.#storage.put(key(id), bytes, { ifNoneMatch: "*" });
        return id;
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        taken.add(id);
      }
    }
    throw new ConflictError(`could not claim an id for ${key("<id>")}`);
  }

  async versionIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const { key } of await this.#storage.list("graph_")) {
      const id = versionIdOf(key);
      if (id) ids.push(id);
    }
    return ids.sort(compareTimestampIdsDesc);
  }

  /** Stores a document as a new version and prunes the oldest beyond retention. */
  async saveVersion(document: { bytes: Uint8Array; checksum: string }, at: Date): Promise<SavedVersion> {
    const existing = await this.versionIds();
    const id = await this.#claim(at, new Set(existing), versionKey, document.bytes);
    const all = [...new Set([id, ...(await this.versionIds())])].sort(compareTimestampIdsDesc);
    // Never the version being made, even if a clock step made it sort older.
    for (const old of all.filter((v) => v !== id).slice(Math.max(0, this.#options.versionRetention - 1))) {
      await this.#storage.delete(versionKey(old));
      this.#options.onDeleted("version", old);
    }
    return { id, checksum: document.checksum, created: at.toISOString(), size: document.bytes.length };
  }

  async listVersions(): Promise<VersionInfo[]> {
    const sizes = new Map((await this.#storage.list("graph_")).map((o) => [o.key, o.size]));
    const out: VersionInfo[] = [];
    for (const id of await this.versionIds()) {
      const key = versionKey(id);
      const tail = await this.#tail(key);
      if (!tail) continue; // pruned by another writer meanwhile
      out.push({
        id,
        created: timestampIdToIso(id),
        size: sizes.get(key) ?? 0,
        checksum: trailerChecksum(tail),
      });
    }
    return out;
  }

  /** The last bytes of a stored document (streamed when the adapter can: never the whole copy at once). */
  async #tail(key: string): Promise<Uint8Array | null> {
    if (!this.#storage.getStream) return (await this.#storage.get(key))?.body ?? null;
    const stream = await this.#storage.getStream(key);
    if (!stream) return null;
    let tail = new Uint8Array(0);
    for await (const chunk of stream) {
      const keep = tail.subarray(Math.max(0, tail.length - TRAILER_BYTES));
      const joined = new Uint8Array(keep.length + chunk.length);
      joined.set(keep, 0);
      joined.set(chunk, keep.length);
      tail = joined.subarray(Math.max(0, joined.length - TRAILER_BYTES));
    }
    return tail;
  }

  /** A version's graph, verified; `NotFoundError` when there is none. */
  async loadVersion(id: string, now: string): Promise<KnowledgeGraph> {
    assertTimestampId(id, "version");
    const loaded = await readSnapshotFrom(this.#storage, versionKey(id), {
      hasher: this.#options.hasher,
      now,
    });
    if (!loaded) throw new NotFoundError(`version ${id} does not exist`);
    return loaded.graph;
  }

  /**
   * `backups/<id>/`: the graph document (written first, create-only: the claim), copies of the
   * top-level state files, and `manifest.json` last — a backup without a manifest is
   * incomplete and never restored. Then retention.
   */
  async createBackup(document: { bytes: Uint8Array }, seq: number, at: Date): Promise<BackupInfo> {
    const hasher = this.#options.hasher;
    const existing = await listBackupIds(this.#storage);
    const id = await this.#claim(
      at,
      new Set(existing.map((b) => b.id)),
      (candidate) => `${backupPrefix(candidate)}${GRAPH_KEY}`,
      document.bytes,
    );
    const prefix = backupPrefix(id);
    const files: BackupFile[] = [
      { name: GRAPH_KEY, size: document.bytes.length, checksum: hashBytes(document.bytes, hasher) },
    ];
    for (const { key } of await this.#storage.list("")) {
      if (!isBackedUpFile(key)) continue;
      const stored = await this.#storage.get(key);
      if (!stored) continue;
      await this.#storage.put(`${prefix}${key}`, stored.body);
      files.push({ name: key, size: stored.body.length, checksum: hashBytes(stored.body, hasher) });
    }
    const manifest: BackupManifest = { id, created: at.toISOString(), seq, files };
    await this.#storage.put(`${prefix}${MANIFEST_NAME}`, encodeManifest(manifest));
    const complete = (await listBackupIds(this.#storage)).filter((b) => b.complete && b.id !== id);
    for (const old of complete.slice(Math.max(0, this.#options.backupRetention - 1))) {
      await this.#deleteFiles(old.id);
      this.#options.onDeleted("backup", old.id);
    }
    return manifest;
  }

  async listBackups(): Promise<BackupInfo[]> {
    const out: BackupInfo[] = [];
    for (const { id, complete } of await listBackupIds(this.#storage)) {
      if (!complete) continue;
      try {
        const m = await readManifest(this.#storage, id);
        out.push({ id, created: m.created, seq: m.seq, files: m.files });
      } catch (err) {
        if (!(err instanceof IntegrityError || err instanceof NotFoundError)) throw err;
      }
    }
    return out;
  }

  /** A backup's manifest and graph, every file checked against the manifest first. */
  async readBackup(id: string, now: string): Promise<{ manifest: BackupManifest; graph: KnowledgeGraph }> {
    assertTimestampId(id, "backup");
    const manifest = await readManifest(this.#storage, id);
    await verifyBackupFiles(this.#storage, manifest, this.#options.hasher);
    const loaded = manifest.files.some((f) => f.name === GRAPH_KEY)
      ? await readSnapshotFrom(this.#storage, `${backupPrefix(id)}${GRAPH_KEY}`, {
          hasher: this.#options.hasher,
          now,
          allowUnchecksummed: true,
        })
      : null;
    if (!loaded) {
      throw new IntegrityError("integrity_error", "backup has no graph.json", {
        file: backupPrefix(id) + MANIFEST_NAME,
      });
    }
    return { manifest, graph: loaded.graph };
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
  }

  /** The manifest goes first: an interrupted delete leaves an incomplete backup, never a wrong one. */
  async #deleteFiles(id: string): Promise<void> {
    const prefix = backupPrefix(id);
    await this.#storage.delete(`${prefix}${MANIFEST_NAME}`);
    for (const { key } of await this.#storage.list(prefix)) await this.#storage.delete(key);
  }
}
