import { hasCode, NotFoundError, ValidationError } from "../errors/errors.ts";
import { toHex } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { KeyedMutex } from "../util/mutex.ts";
import { MessageLog } from "./message-log.ts";
import {
  type ChatMessage,
  checkMessage,
  encodeHeader,
  parseHeader,
  parseSessionKey,
  readHeader,
  SESSIONS_PREFIX,
  type Session,
  sessionKeys,
  toSession,
} from "./session-files.ts";
import { SessionRetention } from "./session-retention.ts";

/**
 * What the HTTP API needs of a session store: `SessionStore` (files in a storage adapter) or
 * `SqlSessionStore` (tables in the Durable Object's database).
 */
export interface SessionService {
  create(): Promise<Session>;
  /** `NotFoundError` when there is no such session. */
  get(id: string): Promise<Session>;
  /** Resolves with the stored message once durable. */
  addMessage(id: string, message: { role: "user" | "assistant"; content: string }): Promise<ChatMessage>;
  /** `NotFoundError` when there is no such session. */
  delete(id: string): Promise<void>;
}

/** Compare-and-swap attempts of one append before the conflict is reported. */
const MAX_APPEND_ATTEMPTS = 20;

/**
 * Sessions removed by the retention pass of one `create` at most. Keeps a create cheap (and
 * within a Worker's subrequest budget) even when many sessions expire at once; each create
 * can remove more than it adds, so a backlog still drains. `sweep()` has no such bound.
 */
const CREATE_SWEEP_LIMIT = 16;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SessionStoreOptions {
  clock?: Clock;
  /** Messages kept per session, oldest dropped first. Default 1,000. */
  maxMessages?: number;
  /** Sessions kept, the least recently active removed first. Default 1,000. */
  maxSessions?: number;
  /** Sessions with no write (create or message) for longer than this are removed. Default 30 days. */
  maxAgeMs?: number;
}

/**
 * Sessions with chat history under `sessions/`. Ids are random and are checked against
 * `SESSION_ID` before any key is built.
 *
 * Two ways to add a message, chosen by the storage:
 * - with a durable append (`openAppendLog`: the filesystem, memory), the message is appended to
 *   `sessions/<id>.messages.jsonl` (`MessageLog`) and `sessions/<id>.json` is rewritten only
 *   when the log is folded into it, once per `maxMessages` messages. This path assumes one
 *   writer process per storage, as the graph journal does (the filesystem's `.lock`).
 * - without one (R2 in the Worker), `sessions/<id>.json` is rewritten with compare-and-swap on
 *   its etag, so concurrent writers (isolates) lose no message.
 *
 * Retention (count and age, by last write) runs on `create` and in `sweep()`; see
 * `SessionRetention`. On the log path (one writer) a create costs no listing: an index built
 * by one `list` and kept current by this process's writes says who is past retention.
 *
 * Calls for one id run one at a time in call order; the per-id locks exist only while a call
 * holds or awaits them (`activeLocks`).
 */
export class SessionStore implements SessionService {
  readonly #storage: StorageAdapter;
  readonly #clock: Clock;
  readonly #maxMessages: number;
  readonly #locks = new KeyedMutex();
  readonly #log: MessageLog | undefined;
  readonly #retention: SessionRetention;

  constructor(storage: StorageAdapter, options: SessionStoreOptions = {}) {
    this.#storage = storage;
    this.#clock = options.clock ?? systemClock;
    this.#maxMessages = positiveInteger(options.maxMessages ?? 1000, "maxMessages");
    const maxSessions = positiveInteger(options.maxSessions ?? 1000, "maxSessions");
    const maxAgeMs = options.maxAgeMs ?? 30 * DAY_MS;
    if (!(maxAgeMs > 0)) {
      throw new ValidationError("maxAgeMs must be a positive number", { details: { field: "maxAgeMs" } });
    }
    this.#log =
      storage.capabilities.durableAppend && storage.openAppendLog
        ? new MessageLog(storage, this.#maxMessages)
        : undefined;
    this.#retention = new SessionRetention({
      storage,
      clock: this.#clock,
      policy: { maxSessions, maxAgeMs },
      keepIndex: this.#log !== undefined,
      readActivity: (id) => this.#readActivity(id),
    });
  }

  static newId(): string {
    return toHex(crypto.getRandomValues(new Uint8Array(16)));
  }

  /** Ids with a call running or queued (for tests: 0 once every call has settled). */
  get activeLocks(): number {
    return this.#locks.size;
  }

  /**
   * Creates an empty session. Sessions past retention are removed first, leaving room for this
   * one, so the new session can never be the one removed.
   */
  async create(): Promise<Session> {
    await this.#removeAll(await this.#retention.pastRetention(CREATE_SWEEP_LIMIT, 1));
    const now = this.#clock.now();
    const session: Session = { id: SessionStore.newId(), created: now.toISOString(), chat_history: [] };
    await this.#storage.put(sessionKeys(session.id).header, encodeHeader(session));
    this.#retention.active(session.id, now.getTime());
    return session;
  }

  /** The session, or `NotFoundError` (also for malformed ids). */
  async get(id: string): Promise<Session> {
    const keys = sessionKeys(id);
    return this.#locks.run(id, async () => {
      const header = await readHeader(this.#storage, keys.header);
      const pending = this.#log ? await this.#log.pending(keys, header) : [];
      // Sliced here too: a file written under a larger cap keeps its messages until the next fold.
      return toSession(header, [...header.chat_history, ...pending].slice(-this.#maxMessages));
    });
  }

  /** The id of every stored session, sorted (one listing of `sessions/`; for exports and migrations). */
  async ids(): Promise<string[]> {
    const ids = new Set<string>();
    for (const { key } of await this.#storage.list(SESSIONS_PREFIX)) {
      const parsed = parseSessionKey(key);
      if (parsed?.kind === "header") ids.add(parsed.id);
    }
    return [...ids].sort();
  }

  /** Appends a message; resolves with the stored message once durable. */
  async addMessage(
    id: string,
    message: { role: "user" | "assistant"; content: string },
  ): Promise<ChatMessage> {
    checkMessage(message);
    const keys = sessionKeys(id);
    return this.#locks.run(id, async () => {
      const stored: ChatMessage = {
        role: message.role,
        content: message.content,
        at: this.#clock.now().toISOString(),
      };
      if (this.#log) {
        await this.#log.append(id, keys, stored);
      } else {
        await this.#rewrite(keys.header, stored);
      }
      this.#retention.active(id, Date.parse(stored.at));
      return stored;
    });
  }

  /** Removes the session and everything stored for it; `NotFoundError` if there is none. */
  async delete(id: string): Promise<void> {
    sessionKeys(id); // a malformed id is not found, and takes no lock
    if (!(await this.#locks.run(id, () => this.#remove(id)))) {
      throw new NotFoundError("session does not exist");
    }
  }

  /**
   * Removes every session past retention (and message logs whose session is gone, which a
   * crash mid-delete can leave). Servers call it at start; `create` runs a bounded pass.
   */
  async sweep(): Promise<{ removed: number }> {
    const ids = await this.#retention.pastRetention(Number.POSITIVE_INFINITY, 0, true);
    await this.#removeAll(ids);
    return { removed: ids.length };
  }

  async #removeAll(ids: string[]): Promise<void> {
    for (const id of ids) await this.#locks.run(id, () => this.#remove(id));
  }

  /**
   * The header first: once it is gone the session is gone for every reader, so a crash before
   * the log is removed leaves only an orphan log, which `sweep` removes.
   */
  async #remove(id: string): Promise<boolean> {
    const keys = sessionKeys(id);
    const existed = await this.#storage.delete(keys.header);
    this.#retention.removed(id);
    if (this.#log) {
      await this.#storage.delete(keys.log);
      this.#log.forget(id);
    }
    return existed;
  }

  /**
   * Last activity of a session the storage lists without modification times: its last
   * message, or `created`. One that cannot be read counts as active now, so damage is left for
   * an operator to see rather than removed.
   */
  async #readActivity(id: string): Promise<number> {
    const nowMs = this.#clock.now().getTime();
    try {
      const session = await this.get(id);
      const at = Date.parse(session.chat_history.at(-1)?.at ?? session.created);
      return Number.isNaN(at) ? nowMs : at;
    } catch (err) {
      if (hasCode(err, "not_found")) return Number.NEGATIVE_INFINITY; // removed meanwhile
      return nowMs;
    }
  }

  /**
   * The storage has no append: rewrite the header. The lock orders appends within this
   * process; where other processes write the same storage (Worker isolates over R2), the write
   * is a compare-and-swap on the etag read, retried on a fresh read when another writer got in
   * first, so no message is lost.
   */
  async #rewrite(key: string, message: ChatMessage): Promise<void> {
    const cas = this.#storage.capabilities.conditionalWrites;
    for (let attempt = 1; ; attempt++) {
      const current = await this.#storage.get(key);
      if (!current) throw new NotFoundError("session does not exist");
      const header = parseHeader(current.body, key);
      header.chat_history.push(message);
      if (header.chat_history.length > this.#maxMessages) {
        header.chat_history.splice(0, header.chat_history.length - this.#maxMessages);
      }
      try {
        await this.#storage.put(key, encodeHeader(header), cas ? { ifMatch: current.etag } : {});
        return;
      } catch (err) {
        if (!cas || !hasCode(err, "precondition_failed") || attempt >= MAX_APPEND_ATTEMPTS) throw err;
      }
    }
  }
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${field} must be a positive integer`, { details: { field } });
  }
  return value;
}
