import { IntegrityError, NotFoundError, StorageError } from "../errors/errors.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type BackupManifest, listBackupIds, readManifest } from "./backup-files.ts";
import { TIMESTAMP_ID } from "./timestamp-ids.ts";

/** One directory under `backups/` and what can be said of it. */
export type BackupInventoryEntry =
  /** A complete backup: its manifest reads. (Its files are checked by `verify` and on restore.) */
  | { id: string; status: "ok"; manifest: BackupManifest }
  /** No manifest (it is written last): a backup interrupted, or still being written. */
  | { id: string; status: "incomplete" }
  /** A manifest that cannot be read or makes no sense: this backup cannot be restored. */
  | { id: string; status: "damaged"; error: { code: string; message: string } };

/**
 * Every backup directory, newest first, including those `listBackups()` leaves out. That list is
 * what can be restored; an operator asking "which backups do I have?" must also hear about a
 * backup whose manifest is damaged (else one damaged backup reads as "no backups"). Directories
 * whose name is not a backup id are not ours and are not listed.
 */
export async function backupInventory(storage: StorageAdapter): Promise<BackupInventoryEntry[]> {
  const out: BackupInventoryEntry[] = [];
  for (const { id, complete } of await listBackupIds(storage)) {
    if (!TIMESTAMP_ID.test(id)) continue;
    if (!complete) {
      out.push({ id, status: "incomplete" });
      continue;
    }
    try {
      out.push({ id, status: "ok", manifest: await readManifest(storage, id) });
    } catch (err) {
      if (err instanceof NotFoundError) continue; // deleted since it was listed (retention)
      // Damage to this one backup (or an I/O error reading it) is reported, not thrown: the
      // others are still worth listing. Anything else is a bug and propagates.
      if (!(err instanceof IntegrityError || err instanceof StorageError)) throw err;
      out.push({ id, status: "damaged", error: { code: err.code, message: err.message } });
    }
  }
  return out;
}
