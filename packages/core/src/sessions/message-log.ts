import type { AppendLog, StorageAdapter } from "../storage/adapter.ts";
import { encodeLogLine, type LogEntry, scanMessageLog } from "./message-log-format.ts";
import {
  type ChatMessage,
  encodeHeader,
  readHeader,
  type SessionHeader,
  type SessionKeys,
} from "./session-files.ts";

/** What this process knows of one session's log, so an append reads nothing. */
interface LogState {
  /** Lines in the log not yet folded into the header. */
  lines: number;
  /** Highest sequence number used in the session (folded or not). */
  lastSeq: number;
}

/**
 * Logs whose state is remembered. Bounded, least recently used dropped first: a forgotten
 * state costs one read of the session on its next append, and the map cannot grow with the
 * number of sessions ever touched.
 */
const REMEMBERED_LOGS = 256;

const EMPTY = new Uint8Array(0);

type AppendableStorage = StorageAdapter & { openAppendLog(key: string): Promise<AppendLog> };

/**
 * Messages appended to `sessions/<id>.messages.jsonl`, one JSON line each, with a durable
 * append: a message costs one small append + fdatasync instead of rewriting the session.
 *
 * - The log is opened, appended to and closed per message: no file handle stays open per
 *   session.
 * - Before an append would take the log past `maxLines`, the log is folded into the header
 *   (`sessions/<id>.json`, keeping the newest `maxLines` messages) and removed: one rewrite
 *   per `maxLines` messages. The header's atomic replace records `log_folded_through`, so a
 *   crash before the log is removed leaves only lines readers already skip.
 * - A torn last line (crash mid-append) is ignored by readers and cut off before the next
 *   append, so a new line never lands after garbage.
 *
 * Callers hold the session's lock; one process writes the storage (see `SessionStore`).
 */
export class MessageLog {
  readonly #storage: AppendableStorage;
  readonly #maxLines: number;
  readonly #states = new Map<string, LogState>();

  constructor(storage: StorageAdapter, maxLines: number) {
    if (!storage.openAppendLog) throw new TypeError("MessageLog needs a storage with openAppendLog");
    this.#storage = storage as AppendableStorage;
    this.#maxLines = maxLines;
  }

  /** The logged messages not yet folded into `header`, oldest first. */
  async pending(keys: SessionKeys, header: SessionHeader): Promise<ChatMessage[]> {
    const { entries } = await this.#scan(keys.log);
    return unfolded(entries, header).map((e) => e.message);
  }

  /** Appends `message` durably to the session's log (`NotFoundError` if it does not exist). */
  async append(id: string, keys: SessionKeys, message: ChatMessage): Promise<void> {
    try {
      let state = await this.#state(id, keys);
      if (state.lines >= this.#maxLines) state = await this.#fold(keys);
      const seq = state.lastSeq + 1;
      await this.#write(keys.log, encodeLogLine(seq, message));
      this.#remember(id, { lines: state.lines + 1, lastSeq: seq });
    } catch (err) {
      // Whatever failed, the next append re-reads the files instead of trusting this state.
      this.forget(id);
      throw err;
    }
  }

  /** Drops what is remembered of a session (it was deleted, or a write failed). */
  forget(id: string): void {
    this.#states.delete(id);
  }

  async #state(id: string, keys: SessionKeys): Promise<LogState> {
    const known = this.#states.get(id);
    if (known) {
      this.#remember(id, known);
      return known;
    }
    const header = await readHeader(this.#storage, keys.header); // NotFoundError: nothing remembered
    const stored = await this.#storage.get(keys.log);
    const { entries, validLength } = scanMessageLog(stored?.body ?? EMPTY, keys.log);
    if (stored && validLength < stored.body.length) await this.#truncate(keys.log, validLength);
    const state = { lines: unfolded(entries, header).length, lastSeq: lastSeq(entries, header) };
    this.#remember(id, state);
    return state;
  }

  /**
   * Folds the log into the header. The header is replaced atomically with the merged history
   * and `log_folded_through`, and only then is the log removed.
   */
  async #fold(keys: SessionKeys): Promise<LogState> {
    const header = await readHeader(this.#storage, keys.header);
    const { entries } = await this.#scan(keys.log);
    const history = [...header.chat_history, ...unfolded(entries, header).map((e) => e.message)];
    const through = lastSeq(entries, header);
    await this.#storage.put(
      keys.header,
      encodeHeader({ ...header, chat_history: history.slice(-this.#maxLines), log_folded_through: through }),
    );
    await this.#storage.delete(keys.log);
    return { lines: 0, lastSeq: through };
  }

  async #write(key: string, line: Uint8Array): Promise<void> {
    const log = await this.#storage.openAppendLog(key);
    try {
      const size = log.size;
      try {
        await log.append(line, { sync: true });
      } catch (err) {
        // Part of the line may be in the file: cut it off so the next line starts clean. If
        // that fails too, `append` forgets the state and the next append's scan cuts it.
        await log.truncate(size).catch(() => undefined);
        throw err;
      }
    } finally {
      // After a successful append the line is durable whatever close says; after a failed one
      // the append's error is the one to report.
      await log.close().catch(() => undefined);
    }
  }

  async #truncate(key: string, length: number): Promise<void> {
    const log = await this.#storage.openAppendLog(key);
    try {
      await log.truncate(length);
    } finally {
      await log.close().catch(() => undefined);
    }
  }

  async #scan(key: string) {
    const stored = await this.#storage.get(key);
    return scanMessageLog(stored?.body ?? EMPTY, key);
  }

  #remember(id: string, state: LogState): void {
    this.#states.delete(id); // re-inserted last: Map order is recency
    this.#states.set(id, state);
    if (this.#states.size > REMEMBERED_LOGS) {
      const oldest = this.#states.keys().next().value;
      if (oldest !== undefined) this.#states.delete(oldest);
    }
  }
}

function unfolded(entries: LogEntry[], header: SessionHeader): LogEntry[] {
  const folded = header.log_folded_through ?? 0;
  return entries.filter((e) => e.seq > folded);
}

function lastSeq(entries: LogEntry[], header: SessionHeader): number {
  return entries.reduce((max, e) => Math.max(max, e.seq), header.log_folded_through ?? 0);
}
