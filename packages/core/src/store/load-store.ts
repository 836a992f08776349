import { type IntegrityCode, IntegrityError } from "../errors/errors.ts";
import { type DocumentFormat, readDocument } from "../format/read-document.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import { scanJournal } from "../journal/read-journal.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import type { OnProgress } from "../util/progress.ts";
import { listBackupIds } from "./backup-files.ts";
import type { RecoveryReport } from "./recovery-report.ts";
import { findRecoverySource } from "./recovery-source.ts";
import { readSnapshotFrom } from "./snapshot-io.ts";
import { GRAPH_KEY, JOURNAL_KEY, SEED_KEY, versionIdOf } from "./storage-keys.ts";
import { nextTimestampId, timestampIdToIso } from "./timestamp-ids.ts";

/** Events of opening a store (the store reports them with its own). */
export type LoadEvent =
  | { type: "journal_replayed"; records: number; seq: number }
  | { type: "journal_tail_dropped"; offset: number; bytes: number };

export interface LoadOptions {
  hasher: HasherFactory;
  now: () => Date;
  readOnly: boolean;
  /** Document for an empty storage (any accepted format). Default: the shipped seed. */
  seed?: unknown;
  emit: (event: LoadEvent) => void;
  /** Reports reading `graph.json` (the long part of opening a large graph). */
  onProgress?: OnProgress;
}

/**
 * What opening found, and what the store must still write once it runs (only when writable):
 * - `none`: `graph.json` plus the journal are the graph;
 * - `compact`: fold the graph into a fresh `graph.json` (after a recovery);
 * - `seed`: an empty storage: write `graph.json`, then `seeded_graph.json`;
 * - `migrate`: a `graph.json` of another format: back up its original bytes, then compact.
 */
export interface LoadedStore {
  graph: KnowledgeGraph;
  /** Checksum of the `graph.json` loaded (`null` when it carries none or was not loaded). */
  checksum: string | null;
  /**
   * Records the journal file holds now, and where its valid part ends (a torn tail is cut);
   * `kept` are those records themselves (the change feed starts from them).
   */
  journal: { records: number; cutTo?: number; kept?: JournalRecord[] };
  finish:
    | { kind: "none" }
    | { kind: "compact" }
    | { kind: "seed" }
    | { kind: "migrate"; from: DocumentFormat; bytes: Uint8Array };
  /** What a recovery did; the store records it once the rebuilt graph is written. */
  recovery: RecoveryReport | null;
}

const EMPTY = new Uint8Array(0);

/**
 * Opens the graph stored in `storage` (SPEC sections 3 and 6): `graph.json` streamed and
 * verified, the journal records after its `seq` replayed, an empty storage seeded, damage
 * recovered from. Recovery never destroys: bytes that are set aside are kept under
 * `<file>.damaged-<id>` first, and a missing `graph.json` is only rebuilt losslessly.
 */
export async function loadStore(storage: StorageAdapter, options: LoadOptions): Promise<LoadedStore> {
  const now = options.now().toISOString();
  let loaded: Awaited<ReturnType<typeof readSnapshotFrom>>;
  try {
    loaded = await readSnapshotFrom(storage, GRAPH_KEY, {
      hasher: options.hasher,
      now,
      allowUnchecksummed: true,
      onProgress: options.onProgress,
    });
  } catch (err) {
    if (!(err instanceof IntegrityError)) throw err;
    const damaged = (await storage.get(GRAPH_KEY))?.body ?? EMPTY;
    return recover(storage, options, err, damaged);
  }
  if (loaded === null) {
    if (await isEmptyStorage(storage)) {
      const seed = options.seed ?? investmentFrameworkSeed;
      const { graph } = readDocument(seed, { file: "seed", now });
      if (!options.readOnly) await storage.put(JOURNAL_KEY, EMPTY);
      return { graph, checksum: null, journal: { records: 0 }, finish: { kind: "seed" }, recovery: null };
    }
    // Something was stored here before: a missing graph.json is damage, never a fresh start.
    return recover(
      storage,
      options,
      new IntegrityError("empty_file", "file is missing", { file: GRAPH_KEY }),
      null,
    );
  }
  if (loaded.format !== "dawsos") {
    // A graph.json of the original Python DawsOS (or a seed): its journal, if any, cannot
    // belong to it. The store keeps the original bytes in a backup, then writes our format.
    const bytes = loaded.bytes ?? (await storage.get(GRAPH_KEY))?.body ?? EMPTY;
    return {
      graph: loaded.graph,
      checksum: loaded.checksum,
      journal: { records: 0 },
      finish: { kind: "migrate", from: loaded.format, bytes },
      recovery: null,
    };
  }
  return replayJournal(storage, options, loaded.graph, loaded.checksum);
}

/** Nothing was ever stored here (no journal, seed file, version or backup): seed it. */
async function isEmptyStorage(storage: StorageAdapter): Promise<boolean> {
  if ((await storage.list(SEED_KEY)).some((o) => o.key === SEED_KEY)) return false;
  const journal = (await storage.list(JOURNAL_KEY)).find((o) => o.key === JOURNAL_KEY);
  if (journal && journal.size > 0) return false;
  if ((await storage.list("graph_")).some((o) => versionIdOf(o.key) !== null)) return false;
  return (await listBackupIds(storage)).length === 0;
}

/** Replays journal records newer than the snapshot; a torn tail is cut, corruption reported. */
async function replayJournal(
  storage: StorageAdapter,
  options: LoadOptions,
  graph: KnowledgeGraph,
  checksum: string | null,
): Promise<LoadedStore> {
  const bytes = (await storage.get(JOURNAL_KEY))?.body ?? EMPTY;
  const scan = scanJournal(bytes, options.hasher);
  const snapshotSeq = graph.seq;
  let applied = 0;
  let failure: { message: string; index: number } | null = null;
  for (let i = 0; i < scan.records.length; i++) {
    const record = scan.records[i]!;
    if (record.seq <= graph.seq) continue; // already in the snapshot
    const failed = applyRecord(graph, record);
    if (failed) {
      failure = { message: failed, index: i };
      break;
    }
    applied++;
  }
  if (applied > 0) options.emit({ type: "journal_replayed", records: applied, seq: graph.seq });
  if (!scan.corrupt && !failure) {
    if (scan.tornTail && !options.readOnly) {
      options.emit({
        type: "journal_tail_dropped",
        offset: scan.tornTail.offset,
        bytes: scan.tornTail.length,
      });
    }
    return {
      graph,
      checksum,
      journal: { records: scan.records.length, cutTo: scan.validLength, kept: scan.records },
      finish: { kind: "none" },
      recovery: null,
    };
  }
  const message = scan.corrupt
    ? `record on line ${scan.corrupt.line} is damaged (${scan.corrupt.problem}) and ${scan.corrupt.recordsAfter} record(s) follow it`
    : `record ${failure!.index + 1} cannot be applied: ${failure!.message}`;
  const error = new IntegrityError(scan.corrupt ? "checksum_mismatch" : "invalid_document", message, {
    file: JOURNAL_KEY,
  });
  const unapplied = scan.records.length - applied - scan.records.filter((r) => r.seq <= snapshotSeq).length;
  const lost = (scan.corrupt?.recordsAfter ?? 0) + unapplied + (scan.corrupt ? 1 : 0);
  let preservedAs: string | null = null;
  if (!options.readOnly) {
    // The records that did not apply leave the live journal: keep a copy first.
    preservedAs = await preserve(storage, JOURNAL_KEY, bytes, options.now());
    await storage.put(JOURNAL_KEY, EMPTY);
  }
  return {
    graph,
    checksum,
    journal: { records: 0 },
    finish: { kind: "compact" },
    recovery: {
      file: JOURNAL_KEY,
      error: { code: error.code, message: error.message },
      recoveredFrom: `${GRAPH_KEY} + ${applied} journal record(s)`,
      recoveredSeq: graph.seq,
      preservedAs,
      lost: `${lost} journal record(s) after seq ${graph.seq} could not be applied`,
      lossless: false,
    },
  };
}

/** Applies one journal record; returns a message instead of throwing when it does not fit. */
function applyRecord(graph: KnowledgeGraph, record: JournalRecord): string | null {
  if (record.seq - record.count !== graph.seq) {
    return `it starts at seq ${record.seq - record.count} but the graph is at seq ${graph.seq}`;
  }
  try {
    graph.apply(record.changes);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * `graph.json` is damaged (`damaged` holds its bytes) or missing (`null`): rebuild it from the
 * seed, a version or a backup that the journal continues — losslessly — or, for a damaged
 * file only, from the newest valid version or backup (reported as lossy). With nothing to
 * rebuild from it refuses, naming the file and changing nothing.
 */
async function recover(
  storage: StorageAdapter,
  options: LoadOptions,
  error: IntegrityError,
  damaged: Uint8Array | null,
): Promise<LoadedStore> {
  const journal = (await storage.get(JOURNAL_KEY))?.body ?? EMPTY;
  const scan = scanJournal(journal, options.hasher);
  const { source, damaged: skipped } = await findRecoverySource(storage, scan.records, {
    hasher: options.hasher,
    now: options.now().toISOString(),
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
  let preservedAs: string | null = null;
  let journalPreservedAs: string | undefined;
  if (!options.readOnly) {
    if (damaged && damaged.length > 0)
      preservedAs = await preserve(storage, GRAPH_KEY, damaged, options.now());
    // Lossless: every record is in the rebuilt graph, and the compaction that follows folds
    // them into graph.json before it replaces the journal (a crash in between loses nothing).
    // Otherwise records that could not be applied leave the live journal: keep a copy first.
    if (!lossless) {
      if (journal.length > 0)
        journalPreservedAs = await preserve(storage, JOURNAL_KEY, journal, options.now());
      await storage.put(JOURNAL_KEY, EMPTY);
    }
  }
  const lost = lossless
    ? `nothing: ${GRAPH_KEY} was rebuilt from ${source.key} and every journal record`
    : `changes after ${source.key} (seq ${source.graph.seq - source.applied}${source.id ? `, saved ${timestampIdToIso(source.id)}` : ""}) that the journal did not hold could not be recovered` +
      (scan.corrupt ? `; the journal is damaged at line ${scan.corrupt.line}` : "") +
      (skipped.length > 0 ? `; also damaged: ${skipped.join(", ")}` : "");
  return {
    graph: source.graph,
    checksum: null,
    journal: lossless
      ? { records: scan.records.length, cutTo: scan.validLength, kept: scan.records }
      : { records: 0 },
    finish: { kind: "compact" },
    recovery: {
      file: GRAPH_KEY,
      error: { code: error.code, message: error.message },
      recoveredFrom: source.applied > 0 ? `${source.key} + ${source.applied} journal record(s)` : source.key,
      recoveredSeq: source.graph.seq,
      preservedAs,
      ...(journalPreservedAs ? { journalPreservedAs } : {}),
      lost,
      lossless,
    },
  };
}

/** Keeps bytes that recovery sets aside under `<key>.damaged-<id>`, a name no loader picks up. */
async function preserve(storage: StorageAdapter, key: string, bytes: Uint8Array, at: Date): Promise<string> {
  const prefix = `${key}.damaged-`;
  const existing = (await storage.list(prefix)).map((o) => o.key.slice(prefix.length));
  const target = `${prefix}${nextTimestampId(at, existing)}`;
  await storage.put(target, bytes);
  return target;
}
