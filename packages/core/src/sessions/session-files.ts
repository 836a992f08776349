import { IntegrityError, NotFoundError, ValidationError } from "../errors/errors.ts";
import { parseJsonDocument } from "../format/read-document.ts";
import type { StorageAdapter } from "../storage/adapter.ts";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  at: string;
}

/** A session as the API shows it: `sessions/<id>.json` plus the messages appended since. */
export interface Session {
  id: string;
  created: string;
  chat_history: ChatMessage[];
  [extra: string]: unknown;
}

/**
 * What `sessions/<id>.json` holds. `log_folded_through` (absent in files written before the
 * message log existed, which read as 0) is the highest log sequence number already folded into
 * `chat_history`: log lines at or below it are duplicates a crash mid-fold left behind.
 */
export interface SessionHeader extends Session {
  log_folded_through?: number;
}

/** Session ids: 32 hex characters from the platform CSPRNG (128 bits, unguessable). */
export const SESSION_ID = /^[0-9a-f]{32}$/;

export const MAX_MESSAGE_LENGTH = 32_000;

export const SESSIONS_PREFIX = "sessions/";
const HEADER_SUFFIX = ".json";
const LOG_SUFFIX = ".messages.jsonl";

export interface SessionKeys {
  /** `sessions/<id>.json` (SPEC section 3). */
  header: string;
  /** `sessions/<id>.messages.jsonl`: messages appended since the last fold, JSON Lines. */
  log: string;
}

/**
 * The storage keys of session `id`. A malformed id is `NotFoundError` before any key is built,
 * so a path can never be smuggled in.
 */
export function sessionKeys(id: string): SessionKeys {
  if (!SESSION_ID.test(id)) throw new NotFoundError("session does not exist");
  return { header: `${SESSIONS_PREFIX}${id}${HEADER_SUFFIX}`, log: `${SESSIONS_PREFIX}${id}${LOG_SUFFIX}` };
}

/** Which session file a listed key is, or `null` for anything else (left alone). */
export function parseSessionKey(key: string): { id: string; kind: "header" | "log" } | null {
  if (!key.startsWith(SESSIONS_PREFIX)) return null;
  const name = key.slice(SESSIONS_PREFIX.length);
  const id = name.slice(0, 32);
  if (!SESSION_ID.test(id)) return null;
  const rest = name.slice(32);
  if (rest === HEADER_SUFFIX) return { id, kind: "header" };
  if (rest === LOG_SUFFIX) return { id, kind: "log" };
  return null;
}

/** Checks a message from a caller (the HTTP layer validates too; the library must not rely on it). */
export function checkMessage(message: { role: unknown; content: unknown }): void {
  if (message.role !== "user" && message.role !== "assistant") {
    throw new ValidationError('role must be "user" or "assistant"', { details: { field: "role" } });
  }
  if (typeof message.content !== "string" || message.content.length > MAX_MESSAGE_LENGTH) {
    throw new ValidationError(`content must be a string of at most ${MAX_MESSAGE_LENGTH} characters`, {
      details: { field: "content" },
    });
  }
}

export function encodeHeader(header: SessionHeader): string {
  return `${JSON.stringify(header, null, 2)}\n`;
}

/** Parses `sessions/<id>.json`; a file that is not a session is an integrity error naming it. */
export function parseHeader(body: Uint8Array, key: string): SessionHeader {
  const parsed = parseJsonDocument(body, key) as Partial<SessionHeader> | null;
  const folded = parsed?.log_folded_through;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    typeof parsed.id !== "string" ||
    typeof parsed.created !== "string" ||
    !Array.isArray(parsed.chat_history) ||
    (folded !== undefined && !(Number.isSafeInteger(folded) && folded >= 0))
  ) {
    throw new IntegrityError("invalid_document", "not a session document", { file: key });
  }
  return parsed as SessionHeader;
}

/** Reads and parses `sessions/<id>.json`; `NotFoundError` when it is missing. */
export async function readHeader(storage: StorageAdapter, key: string): Promise<SessionHeader> {
  const stored = await storage.get(key);
  if (!stored) throw new NotFoundError("session does not exist");
  return parseHeader(stored.body, key);
}

/** The public view of a header: without the log bookkeeping, history as given. */
export function toSession(header: SessionHeader, chatHistory: ChatMessage[]): Session {
  const { log_folded_through: _folded, ...session } = header;
  return { ...session, chat_history: chatHistory };
}
