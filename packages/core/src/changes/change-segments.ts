import type { Change } from "../graph/changes.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import {
  auditFieldsValid,
  checksummedLine,
  decodeChecksummedLine,
  encodeJournalRecord,
  type JournalRecord,
  type RecordProblem,
} from "../journal/journal-record.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import type { ChangeRecord } from "./change-record.ts";
import { isActorLabel, isChangeSource } from "./change-source.ts";

/**
 * The retained change records on a filesystem-like storage (SPEC section 3):
 * `changes/<from>-<to>.jsonl`, one checksummed line per record exactly as in `graph.journal`
 * (same encoding, same per-line SHA-256), holding the records with `from < seq ≤ to`.
 * Compaction writes one segment with the records it folds (within retention) before it cuts
 * the journal, and deletes segments that fall wholly out of retention. A whole-graph
 * replacement (import, restore) is a record of its own: `count` 0, its `from`, what the graph
 * became in `replaced`, no changes — a line the journal never holds.
 *
 * A segment is written whole with an atomic replace, so unlike the journal it has no torn tail:
 * any damaged line makes the segment damaged (`dawsos verify` reports it; the feed then starts
 * after it).
 */
export const CHANGES_PREFIX = "changes/";

const SEGMENT_KEY = /^changes\/(\d{1,16})-(\d{1,16})\.jsonl$/;

export const segmentKey = (from: number, to: number) => `${CHANGES_PREFIX}${from}-${to}.jsonl`;

/** `{from, to}` of a segment key, or `null` for any other key. */
export function parseSegmentKey(key: string): { from: number; to: number } | null {
  const m = SEGMENT_KEY.exec(key);
  return m ? { from: Number(m[1]), to: Number(m[2]) } : null;
}

/** A journal record as the feed keeps it. */
export function recordFromJournal(r: JournalRecord): ChangeRecord {
  const record: ChangeRecord = {
    seq: r.seq,
    from: r.seq - r.count,
    at: r.at ?? r.changes[0]?.at ?? "",
    source: isChangeSource(r.source) ? r.source : null,
    changes: r.changes,
  };
  if (isActorLabel(r.actor)) record.actor = r.actor;
  return record;
}

/** One segment line (with its newline). */
export function encodeSegmentLine(record: ChangeRecord, hasher: HasherFactory): string {
  const actor = record.actor === undefined ? {} : { actor: record.actor };
  if (record.replaced) {
    return checksummedLine(
      JSON.stringify({
        seq: record.seq,
        count: 0,
        from: record.from,
        at: record.at,
        source: record.source,
        ...actor,
        replaced: record.replaced,
        changes: [],
      }),
      hasher,
    );
  }
  const audit = record.source === null ? undefined : { at: record.at, source: record.source, ...actor };
  return encodeJournalRecord(record.seq, record.changes, hasher, audit);
}

export type SegmentProblem = { line: number; problem: RecordProblem | "out_of_order" };

/** Decodes a whole segment; the first bad line makes it damaged. */
export function decodeSegment(
  bytes: Uint8Array,
  hasher: HasherFactory,
): { records: ChangeRecord[] } | SegmentProblem {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else return { line: lines.length, problem: "malformed" }; // unterminated: never written so
  const records: ChangeRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const parsed = decodeChecksummedLine(lines[i]!, hasher);
    if (typeof parsed === "string") return { line: i + 1, problem: parsed };
    const record = segmentRecord(parsed);
    if (!record) return { line: i + 1, problem: "malformed" };
    const previous = records[records.length - 1];
    if (previous && record.from !== previous.seq) return { line: i + 1, problem: "out_of_order" };
    records.push(record);
  }
  return { records };
}

function segmentRecord(parsed: Record<string, unknown>): ChangeRecord | null {
  const seq = parsed.seq;
  const count = parsed.count;
  const changes = parsed.changes;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(count) || !Array.isArray(changes)) return null;
  if (changes.length !== count || !auditFieldsValid(parsed)) return null;
  if ((count as number) === 0) {
    const from = parsed.from;
    const replaced = parsed.replaced as ChangeRecord["replaced"] | undefined;
    if (!Number.isSafeInteger(from) || (from as number) >= (seq as number) || typeof replaced !== "object")
      return null;
    const record: ChangeRecord = {
      seq: seq as number,
      from: from as number,
      at: String(parsed.at ?? ""),
      source: isChangeSource(parsed.source) ? parsed.source : null,
      changes: [],
      replaced,
    };
    if (isActorLabel(parsed.actor)) record.actor = parsed.actor;
    return record;
  }
  if ((seq as number) < (count as number)) return null;
  return recordFromJournal(parsed as unknown as JournalRecord & { changes: Change[] });
}

export interface SegmentScan {
  records: ChangeRecord[];
  /** Segment keys (sorted by `to`) and their ranges. */
  segments: Array<{ key: string; from: number; to: number }>;
  damaged: Array<{ key: string; message: string }>;
}

/** Every segment's records (damaged segments are reported and left out). */
export async function readSegments(storage: StorageAdapter, hasher: HasherFactory): Promise<SegmentScan> {
  const scan: SegmentScan = { records: [], segments: [], damaged: [] };
  for (const { key } of await listSegments(storage)) {
    const range = parseSegmentKey(key)!;
    const stored = await storage.get(key);
    if (!stored) continue;
    const decoded = decodeSegment(stored.body, hasher);
    if ("problem" in decoded) {
      scan.damaged.push({ key, message: `line ${decoded.line} is damaged (${decoded.problem})` });
      continue;
    }
    const first = decoded.records[0];
    const last = decoded.records[decoded.records.length - 1];
    if (first && last && (first.from !== range.from || last.seq !== range.to)) {
      scan.damaged.push({
        key,
        message: `holds seq ${first.from}-${last.seq}, not what its name says`,
      });
      continue;
    }
    scan.segments.push({ key, ...range });
    scan.records.push(...decoded.records);
  }
  return scan;
}

/** Segment keys, ordered by the last seq they hold. */
export async function listSegments(
  storage: StorageAdapter,
): Promise<Array<{ key: string; from: number; to: number }>> {
  const out: Array<{ key: string; from: number; to: number }> = [];
  for (const { key } of await storage.list(CHANGES_PREFIX)) {
    const range = parseSegmentKey(key);
    if (range) out.push({ key, ...range });
  }
  return out.sort((a, b) => a.to - b.to || a.from - b.from);
}

/** Writes `records` (consecutive, oldest first) as one segment (atomic replace). */
export async function writeSegment(
  storage: StorageAdapter,
  records: readonly ChangeRecord[],
  hasher: HasherFactory,
): Promise<string | null> {
  if (records.length === 0) return null;
  const key = segmentKey(records[0]!.from, records[records.length - 1]!.seq);
  await storage.put(key, records.map((r) => encodeSegmentLine(r, hasher)).join(""));
  return key;
}

/** Deletes the segments whose records are all at or below `floor` (out of retention). */
export async function pruneSegments(storage: StorageAdapter, floor: number): Promise<number> {
  let removed = 0;
  for (const segment of await listSegments(storage)) {
    if (segment.to <= floor && (await storage.delete(segment.key))) removed++;
  }
  return removed;
}
