import { type IntegrityCode, IntegrityError } from "../errors/errors.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { JournalRecord } from "../journal/journal-record.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import type { RecoveryReport } from "../store/graph-service.ts";
import { findRecoverySource } from "../store/recovery-source.ts";
import { timestampIdToIso } from "../store/timestamp-ids.ts";
import type { Clock } from "../util/clock.ts";
import type { BucketHead } from "./bucket-head.ts";
import { DAMAGED_PREFIX, randomSuffix } from "./bucket-keys.ts";
import { readJournalObject } from "./bucket-objects.ts";

/**
 * The head names a damaged object: the graph rebuilt through the shared recovery search (the
 * seed, a version or a backup that the head's journal continues — losslessly — else the newest
 * valid one), with a `seq` past the head's, and the report of what was done; the damaged bytes
 * are copied under `graph/damaged/` first. With nothing valid to recover from, refuses with an
 * `IntegrityError` naming the damaged object.
 */
export async function rebuildFromArchive(
  storage: StorageAdapter,
  head: BucketHead,
  error: IntegrityError,
  options: { hasher: HasherFactory; clock: Clock },
): Promise<{ graph: KnowledgeGraph; report: RecoveryReport }> {
  const damaged = error.file ?? head.snapshot.key;
  // The journal objects that are still readable, up to the first that is not.
  const records: JournalRecord[] = [];
  for (const entry of head.journal) {
    const record = await readJournalObject(storage, entry, options.hasher).catch(() => null);
    if (!record) break;
    records.push(record);
  }
  const { source, damaged: skipped } = await findRecoverySource(storage, records, {
    hasher: options.hasher,
    now: options.clock.now().toISOString(),
  });
  if (!source) {
    throw new IntegrityError(
      error.code as IntegrityCode,
      `${error.message.replace(`${damaged}: `, "")}; no valid version or backup to recover from`,
      { file: damaged, cause: error },
    );
  }
  const graph = source.graph;
  const lossless = source.lossless && records.length === head.journal.length && graph.seq === head.seq;
  const preservedAs = await preserve(storage, damaged, options.clock);
  graph.advanceSeq(head.seq + 1);
  const report: RecoveryReport = {
    file: damaged,
    error: { code: error.code, message: error.message },
    recoveredFrom: source.applied > 0 ? `${source.key} + ${source.applied} journal record(s)` : source.key,
    recoveredSeq: graph.seq,
    preservedAs,
    lost: lossless
      ? `nothing: rebuilt from ${source.key} and every journal object`
      : `changes made after ${source.key}${source.id ? ` was written (${timestampIdToIso(source.id)})` : ""} that the journal objects did not hold could not be recovered` +
        (skipped.length > 0 ? `; also damaged: ${skipped.join(", ")}` : ""),
    lossless,
    at: options.clock.now().toISOString(),
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
