import { IntegrityError } from "../errors/errors.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { hashStored, listBackupIds, readManifest } from "./backup-files.ts";
import { readSnapshotFrom } from "./snapshot-io.ts";
import { backupPrefix, GRAPH_KEY, SEED_KEY, versionIdOf } from "./storage-keys.ts";
import { compareTimestampIdsDesc, TIMESTAMP_ID } from "./timestamp-ids.ts";

/** A stored graph the live graph can be rebuilt from, with the journal replayed onto it. */
export interface RecoverySource {
  /** The key the graph was loaded from (`graph_<id>.json`, `backups/<id>/graph.json`, the seed). */
  key: string;
  /** Its version or backup id; `null` for the seed. */
  id: string | null;
  /** The graph after replaying every journal record that continues it. */
  graph: KnowledgeGraph;
  /** Journal records replayed onto it. */
  applied: number;
  /**
   * The journal continues this graph and every record after it applied: the result is the
   * state the journal ends at, and nothing was lost.
   */
  lossless: boolean;
}

export interface RecoverySearch {
  /** The best source: a lossless one if any exists, else the newest that loads. */
  source: RecoverySource | null;
  /** Candidates that failed their checks, by key. */
  damaged: string[];
}

interface Candidate {
  key: string;
  id: string | null;
  /** Backup files are trusted by their manifest's SHA-256 (their own checksum may be absent). */
  backup: boolean;
}

/**
 * The one search for a recovery source (SPEC section 6), over any storage adapter: the seed,
 * every version and every complete backup, newest first. A candidate that the journal
 * continues (its `seq` lies within the journal's range and every later record applies) wins:
 * recovery is then lossless. Without one, the newest version or backup that loads is returned
 * (callers decide whether a lossy recovery is acceptable; the seed is never a lossy fallback).
 * Nothing is written.
 *
 * `records` are the journal's valid records in file order (consecutive `seq`s).
 */
export async function findRecoverySource(
  storage: StorageAdapter,
  records: readonly JournalRecord[],
  options: { hasher: HasherFactory; now: string },
): Promise<RecoverySearch> {
  const damaged: string[] = [];
  const candidates: Candidate[] = [];
  for (const { key } of await storage.list("graph_")) {
    const id = versionIdOf(key);
    if (id) candidates.push({ key, id, backup: false });
  }
  for (const { id, complete } of await listBackupIds(storage)) {
    if (complete && TIMESTAMP_ID.test(id))
      candidates.push({ key: `${backupPrefix(id)}${GRAPH_KEY}`, id, backup: true });
  }
  candidates.sort((a, b) => compareTimestampIdsDesc(a.id!, b.id!));
  // The seed is where every storage started: the journal continues it until the first compaction.
  const journalStart = records.length > 0 ? records[0]!.seq - records[0]!.count : null;
  if (journalStart === 0) candidates.unshift({ key: SEED_KEY, id: null, backup: false });
  else candidates.push({ key: SEED_KEY, id: null, backup: false });

  let fallback: RecoverySource | null = null;
  for (const candidate of candidates) {
    let graph: KnowledgeGraph | null;
    try {
      graph = await loadCandidate(storage, candidate, options);
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      damaged.push(candidate.key);
      continue;
    }
    if (!graph) continue;
    const seq = graph.seq;
    const replay = replayOnto(graph, records);
    const source: RecoverySource = { key: candidate.key, id: candidate.id, graph, ...replay };
    if (source.lossless) return { source, damaged };
    // Without a journal that continues it, the newest saved graph is the best there is. The
    // seed never is: falling back to it would silently drop everything ever acknowledged.
    if (candidate.id === null) continue;
    fallback ??= source;
    if (journalStart === null || seq < journalStart) break; // older still: none continues
  }
  return { source: fallback, damaged };
}

async function loadCandidate(
  storage: StorageAdapter,
  candidate: Candidate,
  options: { hasher: HasherFactory; now: string },
): Promise<KnowledgeGraph | null> {
  if (candidate.backup) {
    const manifest = await readManifest(storage, candidate.id!);
    const listed = manifest.files.find((f) => f.name === GRAPH_KEY);
    if (!listed) {
      throw new IntegrityError("integrity_error", "backup has no graph.json", { file: candidate.key });
    }
    const actual = await hashStored(storage, candidate.key, options.hasher);
    if (!actual || actual.checksum !== listed.checksum) {
      throw new IntegrityError("checksum_mismatch", "file does not match the checksum in its manifest", {
        file: candidate.key,
      });
    }
  }
  // Backups may hold a file of the original Python app (no checksum of its own: its manifest
  // vouches for it); the seed is stored without a checksum by older versions too.
  const loaded = await readSnapshotFrom(storage, candidate.key, {
    ...options,
    allowUnchecksummed: candidate.backup || candidate.id === null,
  });
  return loaded?.graph ?? null;
}

/** Applies the records that continue `graph` (in place); stops at the first that does not fit. */
function replayOnto(
  graph: KnowledgeGraph,
  records: readonly JournalRecord[],
): { applied: number; lossless: boolean } {
  if (records.length === 0) return { applied: 0, lossless: false };
  const start = records[0]!.seq - records[0]!.count;
  const end = records[records.length - 1]!.seq;
  if (graph.seq < start || graph.seq > end) return { applied: 0, lossless: false };
  let applied = 0;
  for (const record of records) {
    if (record.seq <= graph.seq) continue;
    if (record.seq - record.count !== graph.seq) return { applied, lossless: false };
    try {
      graph.apply(record.changes);
    } catch {
      return { applied, lossless: false };
    }
    applied++;
  }
  return { applied, lossless: true };
}
