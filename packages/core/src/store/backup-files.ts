import { IntegrityError, NotFoundError } from "../errors/errors.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { bytesToText, type StorageAdapter } from "../storage/adapter.ts";
import { BACKUPS_PREFIX, backupPrefix, MANIFEST_NAME } from "./storage-keys.ts";
import { assertTimestampId, compareTimestampIdsDesc } from "./timestamp-ids.ts";

export interface BackupFile {
  name: string;
  size: number;
  checksum: string;
}

/** `backups/<id>/manifest.json`: written last, so a backup without one is incomplete. */
export interface BackupManifest {
  id: string;
  created: string;
  /** Graph `seq` at the time of the backup. */
  seq: number;
  files: BackupFile[];
}

export function hashBytes(bytes: Uint8Array, hasherFactory: HasherFactory = createSha256): string {
  const hasher = hasherFactory();
  hasher.update(bytes);
  return hasher.digestHex();
}

/** Ids of every directory under `backups/`, complete or not, newest first. */
export async function listBackupIds(storage: StorageAdapter): Promise<{ id: string; complete: boolean }[]> {
  const byId = new Map<string, boolean>();
  for (const { key } of await storage.list(BACKUPS_PREFIX)) {
    const [id, name] = key.slice(BACKUPS_PREFIX.length).split("/");
    if (!id || !name) continue;
    byId.set(id, (byId.get(id) ?? false) || name === MANIFEST_NAME);
  }
  return [...byId]
    .map(([id, complete]) => ({ id, complete }))
    .sort((a, b) => compareTimestampIdsDesc(a.id, b.id));
}

/** Reads and checks a backup's manifest; `NotFoundError` when the backup does not exist. */
export async function readManifest(storage: StorageAdapter, id: string): Promise<BackupManifest> {
  assertTimestampId(id, "backup");
  const key = `${backupPrefix(id)}${MANIFEST_NAME}`;
  const stored = await storage.get(key);
  if (!stored) throw new NotFoundError(`backup ${id} does not exist`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(bytesToText(stored.body)) as BackupManifest;
  } catch (cause) {
    throw new IntegrityError("malformed_json", "manifest is not valid JSON", { file: key, cause });
  }
  if (!manifest || !Array.isArray(manifest.files)) {
    throw new IntegrityError("invalid_document", "manifest has no file list", { file: key });
  }
  for (const file of manifest.files) {
    // Names come from a file on disk; never let one build a key outside the backup.
    if (typeof file?.name !== "string" || file.name.includes("/") || file.name === MANIFEST_NAME) {
      throw new IntegrityError("invalid_document", "manifest names an invalid file", { file: key });
    }
  }
  return manifest;
}

/** SHA-256 and size of a stored file, streamed when the adapter can (no whole-file buffer). */
export async function hashStored(
  storage: StorageAdapter,
  key: string,
  hasherFactory: HasherFactory = createSha256,
): Promise<{ checksum: string; size: number } | null> {
  const hasher = hasherFactory();
  let size = 0;
  if (storage.getStream) {
    const stream = await storage.getStream(key);
    if (!stream) return null;
    for await (const chunk of stream) {
      hasher.update(chunk);
      size += chunk.length;
    }
  } else {
    const stored = await storage.get(key);
    if (!stored) return null;
    hasher.update(stored.body);
    size = stored.body.length;
  }
  return { checksum: hasher.digestHex(), size };
}

/** Checks every file of a backup against its manifest's checksums, streaming each file. */
export async function verifyBackupFiles(
  storage: StorageAdapter,
  manifest: BackupManifest,
  hasherFactory?: HasherFactory,
): Promise<void> {
  for (const file of manifest.files) await verifyBackupFile(storage, manifest, file, hasherFactory);
}

/** Checks one file of a backup against its manifest entry, streaming it. */
export async function verifyBackupFile(
  storage: StorageAdapter,
  manifest: BackupManifest,
  file: BackupFile,
  hasherFactory?: HasherFactory,
): Promise<void> {
  const key = `${backupPrefix(manifest.id)}${file.name}`;
  const actual = await hashStored(storage, key, hasherFactory);
  if (!actual) throw missingBackupFile(key);
  if (actual.checksum !== file.checksum) throw backupFileMismatch(key);
}

export function missingBackupFile(key: string): IntegrityError {
  return new IntegrityError("integrity_error", "file listed in the manifest is missing", { file: key });
}

export function backupFileMismatch(key: string, cause?: unknown): IntegrityError {
  return new IntegrityError("checksum_mismatch", "file does not match the checksum in its manifest", {
    file: key,
    cause,
  });
}

export function encodeManifest(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
