import { type IntegrityCode, IntegrityError, NotFoundError } from "../errors/errors.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { listBackupIds } from "../store/backup-files.ts";
import type { RecoveryReport } from "../store/graph-store.ts";
import { backupPrefix, GRAPH_KEY, versionKey } from "../store/storage-keys.ts";
import { compareTimestampIdsDesc, timestampIdToIso } from "../store/timestamp-ids.ts";
import type { Clock } from "../util/clock.ts";
import type { EdgeArchive } from "./edge-archive.ts";
import type { EdgeHead } from "./edge-head.ts";
import { DAMAGED_PREFIX, randomSuffix } from "./edge-keys.ts";
import { readJournalObject } from "./edge-objects.ts";

export interface RecoverySource {
  graph: KnowledgeGraph;
  /** The key the graph was read from (`graph_<id>.json` or `backups/<id>/graph.json`). */
  key: string;
  /** When that copy was made (ISO 8601). */
  at: string;
  /** Newer copies that were damaged too. */
  skipped: string[];
}

/**
 * The newest valid copy of the graph among the versions and complete backups, or `null`. Each
 * candidate is verified (checksums, manifest) before it is used; damaged ones are skipped and
 * named.
 */
export async function findRecoverySource(
  storage: StorageAdapter,
  archive: EdgeArchive,
  now: string,
): Promise<RecoverySource | null> {
  const candidates = [
    ...(await archive.versionIds()).map((id) => ({ id, kind: "version" as const, key: versionKey(id) })),
    ...(await listBackupIds(storage))
      .filter((b) => b.complete)
      .map((b) => ({ id: b.id, kind: "backup" as const, key: `${backupPrefix(b.id)}${GRAPH_KEY}` })),
  ].sort((a, b) => compareTimestampIdsDesc(a.id, b.id));
  const skipped: string[] = [];
  for (const candidate of candidates) {
    try {
      const graph =
        candidate.kind === "version"
          ? await archive.loadVersion(candidate.id, now)
          : (await archive.readBackup(candidate.id, now)).graph;
      return { graph, key: candidate.key, at: timestampIdToIso(candidate.id), skipped };
    } catch (err) {
      if (!(err instanceof IntegrityError || err instanceof NotFoundError)) throw err;
      skipped.push(candidate.key);
    }
  }
  return null;
}

/**
 * The head names a damaged object: the graph rebuilt from the newest valid version or backup
 * plus the head's journal records that continue it, with a `seq` past the head's, and the report
 * of what was done; the damaged bytes are copied under `graph/damaged/` first. With nothing valid
 * to recover from, refuses with an `IntegrityError` naming the damaged object.
 */
export async function rebuildFromArchive(
  storage: StorageAdapter,
  archive: EdgeArchive,
  head: EdgeHead,
  error: IntegrityError,
  options: { hasher: HasherFactory; clock: Clock },
): Promise<{ graph: KnowledgeGraph; report: RecoveryReport }> {
  const damaged = error.file ?? head.snapshot.key;
  const source = await findRecoverySource(storage, archive, options.clock.now().toISOString());
  if (!source) {
    throw new IntegrityError(
      error.code as IntegrityCode,
      `${error.message.replace(`${damaged}: `, "")}; no valid version or backup to recover from`,
      { file: damaged, cause: error },
    );
  }
  const graph = source.graph;
  let applied = 0;
  for (const entry of head.journal) {
    if (entry.seq - entry.count !== graph.seq) continue;
    try {
      const record = await readJournalObject(storage, entry, options.hasher);
      if (!record) break;
      graph.apply(record.changes);
      applied++;
    } catch {
      break; // damaged or no longer applying: the records from here on are lost
    }
  }
  const preservedAs = await preserve(storage, damaged, options.clock);
  graph.advanceSeq(head.seq + 1);
  const report: RecoveryReport = {
    file: damaged,
    error: { code: error.code, message: error.message },
    recoveredFrom: applied > 0 ? `${source.key} + ${applied} journal record(s)` : source.key,
    recoveredSeq: graph.seq,
    preservedAs,
    lost:
      `changes made after ${source.key} was written (${source.at})` +
      (applied > 0 ? `, beyond ${applied} journal record(s) that still applied,` : "") +
      " could not be recovered" +
      (source.skipped.length > 0 ? `; also damaged: ${source.skipped.join(", ")}` : ""),
    lossless: false,
  };
  return { graph, report };
}

/** Copies damaged bytes to `graph/damaged/…` (cleanup never removes them); `null` if they are gone. */
async function preserve(storage: StorageAdapter, key: string, clock: Clock): Promise<string | null> {
  const stored = await storage.get(key).catch(() => null);
  if (!stored) return null;
  const target = `${DAMAGED_PREFIX}${clock.now().getTime()}-${randomSuffix()}-${key.split("/").pop()}`;
  await storage.put(target, stored.body);
  return target;
}
