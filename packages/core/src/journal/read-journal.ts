import type { HasherFactory } from "../integrity/sha256.ts";
import { decodeJournalRecord, type JournalRecord, type RecordProblem } from "./journal-record.ts";

export interface JournalScan {
  /** Complete, verified records in file order (up to any corruption). */
  records: JournalRecord[];
  /** Bytes of the valid prefix: where the next append must go. */
  validLength: number;
  /**
   * A damaged end of the file — what a crash mid-append leaves (a partial line, NUL bytes,
   * a last line failing its checksum). Dropped on load and reported.
   */
  tornTail: { offset: number; length: number } | null;
  /**
   * A damaged record *followed by valid records*: not a crash artefact but corruption. The
   * records after it cannot be applied; this is an integrity error (SPEC section 6).
   */
  corrupt: { offset: number; line: number; problem: RecordProblem; recordsAfter: number } | null;
}

const NEWLINE = 0x0a;

function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b !== 0 && b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  }
  return true;
}

/**
 * Scans journal bytes. A record counts only if its line is complete (ends with `\n`) and its
 * checksum matches. Everything after the last good record is a torn tail *unless* a good
 * record follows a bad one, which is corruption.
 */
export function scanJournal(bytes: Uint8Array, hasherFactory?: HasherFactory): JournalScan {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const records: JournalRecord[] = [];
  let validLength = 0;
  let firstBad: { offset: number; line: number; problem: RecordProblem } | null = null;
  let recordsAfterBad = 0;
  let offset = 0;
  let lineNo = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, offset);
    if (newline === -1) break; // an unterminated last line: torn
    lineNo++;
    if (isBlank(bytes, offset, newline)) {
      // Blank or NUL-filled lines: a crash artefact unless good records follow.
      if (!firstBad) firstBad = { offset, line: lineNo, problem: "malformed" };
      offset = newline + 1;
      continue;
    }
    const decoded = decodeJournalRecord(decoder.decode(bytes.subarray(offset, newline)), hasherFactory);
    if (typeof decoded === "string") {
      if (!firstBad) firstBad = { offset, line: lineNo, problem: decoded };
    } else if (firstBad) {
      recordsAfterBad++;
    } else {
      records.push(decoded);
      validLength = newline + 1;
    }
    offset = newline + 1;
  }
  if (firstBad && recordsAfterBad > 0) {
    return { records, validLength, tornTail: null, corrupt: { ...firstBad, recordsAfter: recordsAfterBad } };
  }
  const tornTail =
    validLength < bytes.length ? { offset: validLength, length: bytes.length - validLength } : null;
  return { records, validLength, tornTail, corrupt: null };
}
