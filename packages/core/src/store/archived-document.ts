import { IntegrityError, NotFoundError } from "../errors/errors.ts";
import { singleChunk } from "../format/line-reader.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import {
  type BackupManifest,
  backupFileMismatch,
  hashStored,
  missingBackupFile,
  readManifest,
  verifyBackupFile,
} from "./backup-files.ts";
import { backupPrefix, GRAPH_KEY, MANIFEST_NAME, versionKey } from "./storage-keys.ts";

/**
 * An archived graph document (a version, or a backup's graph) opened for one streaming pass:
 * a reader parses `chunks` as they arrive and never holds the file. What the archive itself
 * records about the file (a backup's manifest SHA-256; a version has only its own trailer,
 * which the reader checks) is checked over the same bytes, without reading them twice.
 */
export interface ArchivedDocument {
  /** Storage key, for error messages. */
  readonly key: string;
  /** The stored bytes; read once, to the end. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Once every chunk was read: throws `IntegrityError` when the bytes do not match the archive's record. */
  checkRead(): void;
  /**
   * After reading failed with `cause`: the error to report. On damage, the archive's own
   * verdict where it has one (the stored file re-hashed against the manifest), so a damaged
   * backup fails as `readBackup` reports it — a manifest mismatch — rather than as whichever
   * line first failed to parse; otherwise `cause` itself.
   */
  failure(cause: unknown): Promise<unknown>;
}

/** Chunks of a stored file: streamed when the adapter can, else its one body; `null` when missing. */
export async function openStoredChunks(
  storage: StorageAdapter,
  key: string,
): Promise<AsyncIterable<Uint8Array> | null> {
  if (storage.getStream) return storage.getStream(key);
  // An adapter without streams hands the body whole: the document is held once, as bytes,
  // but the graph still never is.
  const stored = await storage.get(key);
  return stored ? singleChunk(stored.body) : null;
}

/** `graph_<id>.json`; `NotFoundError` when there is none. */
export async function openVersionDocument(storage: StorageAdapter, id: string): Promise<ArchivedDocument> {
  const key = versionKey(id);
  const chunks = await openStoredChunks(storage, key);
  if (!chunks) throw new NotFoundError(`version ${id} does not exist`);
  return {
    key,
    chunks,
    checkRead() {},
    async failure(cause) {
      return cause;
    },
  };
}

/**
 * A backup's `graph.json`, after its manifest was read and every *other* file of the backup was
 * checked against it (small files); the graph's own manifest SHA-256 is computed while it is
 * read. `NotFoundError` when the backup does not exist.
 */
export async function openBackupDocument(
  storage: StorageAdapter,
  id: string,
  hasherFactory: HasherFactory,
): Promise<ArchivedDocument & { manifest: BackupManifest }> {
  const manifest = await readManifest(storage, id);
  const entry = manifest.files.find((f) => f.name === GRAPH_KEY);
  for (const file of manifest.files) {
    if (file !== entry) await verifyBackupFile(storage, manifest, file, hasherFactory);
  }
  if (!entry) {
    throw new IntegrityError("integrity_error", "backup has no graph.json", {
      file: backupPrefix(id) + MANIFEST_NAME,
    });
  }
  const key = `${backupPrefix(id)}${GRAPH_KEY}`;
  const source = await openStoredChunks(storage, key);
  if (!source) throw missingBackupFile(key);
  const hasher = hasherFactory();
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source!) {
      hasher.update(chunk);
      yield chunk;
    }
  }
  return {
    key,
    manifest,
    chunks: hashed(),
    // A reader that stopped early hashed a prefix only: that never matches either.
    checkRead() {
      if (hasher.digestHex() !== entry.checksum) throw backupFileMismatch(key);
    },
    async failure(cause) {
      if (!(cause instanceof IntegrityError)) return cause;
      const stored = await hashStored(storage, key, hasherFactory);
      if (!stored) return missingBackupFile(key);
      return stored.checksum === entry.checksum ? cause : backupFileMismatch(key, cause);
    },
  };
}
