import type { ChangeAudit } from "../changes/change-source.ts";
import type { Change } from "../graph/changes.ts";
import { createSha256, digestHexWith, type HasherFactory } from "../integrity/sha256.ts";

/**
 * One line of `graph.journal`: the change records of one commit, the graph `seq` after them,
 * and a SHA-256 of the line's own bytes:
 *
 *   {"seq":43,"count":2,"at":"…","source":"api","actor":"ops","changes":[…],"sha256":"<hex>"}\n
 *
 * `sha256` covers the JSON text of the record without its trailer exactly as written (the line
 * with `,"sha256":"…"` removed), so verifying needs no re-serialisation. A record applies to
 * the graph at `seq - count`.
 *
 * `at` (when the commit was made), `source` and `actor` are the audit trail of the change feed.
 * Records written before they existed lack them and still load: they are optional here, and
 * the checksum rule is the same, so an older reader accepts the new records too.
 */
export interface JournalRecord extends Partial<ChangeAudit> {
  seq: number;
  count: number;
  at?: string;
  changes: Change[];
}

/** What a commit records besides its changes. */
export interface RecordAudit extends ChangeAudit {
  at: string;
}

const TRAILER_PREFIX = ',"sha256":"';
const TRAILER_LENGTH = TRAILER_PREFIX.length + 64 + 2;

/** Encodes a commit as one journal line (with its trailing newline). */
export function encodeJournalRecord(
  seq: number,
  changes: readonly Change[],
  hasherFactory: HasherFactory = createSha256,
  audit?: RecordAudit,
): string {
  // Key order is fixed (seq, count, audit, changes): re-encoding a decoded record gives the
  // same line, which is what lets compaction copy records into change segments.
  const body = JSON.stringify(
    audit
      ? {
          seq,
          count: changes.length,
          at: audit.at,
          source: audit.source,
          ...(audit.actor === undefined ? {} : { actor: audit.actor }),
          changes,
        }
      : { seq, count: changes.length, changes },
  );
  return checksummedLine(body, hasherFactory);
}

/** `body` (a JSON object text) with the `sha256` trailer appended, plus a newline. */
export function checksummedLine(body: string, hasherFactory: HasherFactory = createSha256): string {
  return `${body.slice(0, -1)}${TRAILER_PREFIX}${digest(body, hasherFactory)}"}\n`;
}

function digest(text: string, hasherFactory: HasherFactory): string {
  return digestHexWith(hasherFactory, text);
}

export type RecordProblem = "malformed" | "checksum_mismatch";

/**
 * Verifies a checksummed line (without its newline) and parses its body; returns the problem
 * instead of throwing. Shared by the journal and the change segments.
 */
export function decodeChecksummedLine(
  line: string,
  hasherFactory: HasherFactory = createSha256,
): Record<string, unknown> | RecordProblem {
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
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "malformed";
  return parsed as Record<string, unknown>;
}

/** Decodes one line (without its newline); returns the problem instead of throwing. */
export function decodeJournalRecord(
  line: string,
  hasherFactory: HasherFactory = createSha256,
): JournalRecord | RecordProblem {
  const parsed = decodeChecksummedLine(line, hasherFactory);
  if (typeof parsed === "string") return parsed;
  const record = parsed as unknown as JournalRecord;
  if (!auditFieldsValid(record)) return "malformed";
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

/** The optional audit fields, when present, are strings (older records have none). */
export function auditFieldsValid(record: { at?: unknown; source?: unknown; actor?: unknown }): boolean {
  return (
    (record.at === undefined || typeof record.at === "string") &&
    (record.source === undefined || typeof record.source === "string") &&
    (record.actor === undefined || typeof record.actor === "string")
  );
}
