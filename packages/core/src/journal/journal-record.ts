import type { Change } from "../graph/changes.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";

/**
 * One line of `graph.journal`: the change records of one commit, the graph `seq` after them,
 * and a SHA-256 of the line's own bytes:
 *
 *   {"seq":43,"count":2,"changes":[…],"sha256":"<hex>"}\n
 *
 * `sha256` covers the JSON text of `{"seq","count","changes"}` exactly as written (the line
 * with `,"sha256":"…"` removed), so verifying needs no re-serialisation. A record applies to
 * the graph at `seq - count`.
 */
export interface JournalRecord {
  seq: number;
  count: number;
  changes: Change[];
}

const TRAILER_PREFIX = ',"sha256":"';
const TRAILER_LENGTH = TRAILER_PREFIX.length + 64 + 2;

/** Encodes a commit as one journal line (with its trailing newline). */
export function encodeJournalRecord(
  seq: number,
  changes: readonly Change[],
  hasherFactory: HasherFactory = createSha256,
): string {
  const body = JSON.stringify({ seq, count: changes.length, changes });
  return `${body.slice(0, -1)}${TRAILER_PREFIX}${digest(body, hasherFactory)}"}\n`;
}

function digest(text: string, hasherFactory: HasherFactory): string {
  const hasher = hasherFactory();
  hasher.update(text);
  return hasher.digestHex();
}

export type RecordProblem = "malformed" | "checksum_mismatch";

/** Decodes one line (without its newline); returns the problem instead of throwing. */
export function decodeJournalRecord(
  line: string,
  hasherFactory: HasherFactory = createSha256,
): JournalRecord | RecordProblem {
  if (line.length <= TRAILER_LENGTH || !line.endsWith('"}')) return "malformed";
  const start = line.length - TRAILER_LENGTH;
  if (line.slice(start, start + TRAILER_PREFIX.length) !== TRAILER_PREFIX) return "malformed";
  const stored = line.slice(start + TRAILER_PREFIX.length, line.length - 2);
  const body = `${line.slice(0, start)}}`;
  if (digest(body, hasherFactory) !== stored) return "checksum_mismatch";
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "malformed";
  }
  const record = parsed as JournalRecord;
  if (
    !Number.isSafeInteger(record?.seq) ||
    !Number.isSafeInteger(record.count) ||
    !Array.isArray(record.changes) ||
    record.changes.length !== record.count ||
    record.count < 1 ||
    record.seq < record.count
  ) {
    return "malformed";
  }
  return record;
}
