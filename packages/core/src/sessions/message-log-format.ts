import { IntegrityError } from "../errors/errors.ts";
import type { ChatMessage } from "./session-files.ts";

/** One line of `sessions/<id>.messages.jsonl`: a message and its sequence number in the session. */
export interface LogEntry {
  seq: number;
  message: ChatMessage;
}

export interface MessageLogScan {
  /** Complete, valid lines in file order. */
  entries: LogEntry[];
  /** Bytes of the valid prefix: where the next append must go. */
  validLength: number;
}

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/**
 * The bytes of one log line. `seq` numbers lines so a fold can say which ones it has taken
 * (`log_folded_through`) without having to remove them in the same atomic step.
 */
export function encodeLogLine(seq: number, message: ChatMessage): Uint8Array {
  return encoder.encode(
    `${JSON.stringify({ seq, role: message.role, content: message.content, at: message.at })}\n`,
  );
}

/**
 * Reads log bytes. A line counts only when it is complete (ends with `\n`) and is a valid
 * entry. What follows the last valid line is what a crash mid-append leaves (a partial line,
 * NUL bytes): ignored, and `validLength` says where it starts. An invalid line *followed by a
 * valid one* is not a crash artefact but damage: an `IntegrityError` naming `key`, never
 * silently skipped (the same rule as the graph journal, SPEC section 3).
 *
 * Lines carry no checksum: every line is written by one append that is acknowledged only
 * after fdatasync, so the only partial line possible is the unacknowledged last one, and
 * its bytes (zeros or a prefix of JSON) cannot parse as a complete entry.
 */
export function scanMessageLog(bytes: Uint8Array, key: string): MessageLogScan {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const entries: LogEntry[] = [];
  let validLength = 0;
  let firstBadLine = 0;
  let offset = 0;
  let line = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, offset);
    if (newline === -1) break; // an unterminated last line: torn
    line++;
    const entry = decodeLine(decoder, bytes.subarray(offset, newline));
    if (entry === null) {
      if (firstBadLine === 0) firstBadLine = line;
    } else if (firstBadLine !== 0) {
      throw new IntegrityError("integrity_error", `line ${firstBadLine} is damaged and valid lines follow`, {
        file: key,
      });
    } else {
      entries.push(entry);
      validLength = newline + 1;
    }
    offset = newline + 1;
  }
  return { entries, validLength };
}

function decodeLine(decoder: TextDecoder, bytes: Uint8Array): LogEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { seq, role, content, at } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return null;
  if ((role !== "user" && role !== "assistant") || typeof content !== "string" || typeof at !== "string") {
    return null;
  }
  return { seq: seq as number, message: { role, content, at } };
}
