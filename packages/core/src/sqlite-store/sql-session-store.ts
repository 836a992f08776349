import { NotFoundError, ValidationError } from "../errors/errors.ts";
import { type ChatMessage, MAX_MESSAGE_LENGTH, SESSION_ID, type Session } from "../sessions/session-files.ts";
import { type SessionService, SessionStore, type SessionStoreOptions } from "../sessions/session-store.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { SqlDatabase } from "./sql-database.ts";
import { assertRecordFits } from "./sql-limits.ts";
import { parseBody } from "./sql-rows.ts";

const SESSIONS = "sessions";
const MESSAGES = "session_messages";

/**
 * Sessions in the Durable Object's SQLite database: a row per session and a row per message,
 * so appending a message is one insert (plus the trim to `maxMessages`) in one transaction —
 * never a rewrite of the session. Same methods as `SessionStore`, plus `delete`.
 */
export class SqlSessionStore implements SessionService {
  readonly #db: SqlDatabase;
  readonly #clock: Clock;
  readonly #maxMessages: number;
  readonly #maxSessions: number;
  readonly #maxAgeMs: number;

  /** Same options and defaults as `SessionStore` (1,000 messages, 1,000 sessions, 30 days idle). */
  constructor(db: SqlDatabase, options: SessionStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#maxMessages = options.maxMessages ?? 1000;
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#maxAgeMs = options.maxAgeMs ?? 30 * 24 * 60 * 60 * 1000;
    if (!Number.isInteger(this.#maxSessions) || this.#maxSessions < 1 || !(this.#maxAgeMs > 0)) {
      throw new ValidationError("maxSessions must be a positive integer and maxAgeMs positive");
    }
    db.transactionSync(() => {
      // `active`: the time of the last write (create or message), as epoch ms — what retention reads.
      db.sql.exec(
        `CREATE TABLE IF NOT EXISTS ${SESSIONS} (id TEXT PRIMARY KEY NOT NULL, created TEXT NOT NULL, active INTEGER NOT NULL)`,
      );
      db.sql.exec(`CREATE INDEX IF NOT EXISTS ${SESSIONS}_active ON ${SESSIONS} (active)`);
      db.sql.exec(
        `CREATE TABLE IF NOT EXISTS ${MESSAGES} (session TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (session, n))`,
      );
    });
  }

  /**
   * A new session. Retention runs first, in the same transaction: sessions idle past `maxAgeMs`
   * go, then the least recently active ones until the new one fits under `maxSessions` (index
   * reads and deletes only: no listing, unlike files or R2).
   */
  async create(): Promise<Session> {
    const now = this.#clock.now();
    const session: Session = { id: SessionStore.newId(), created: now.toISOString(), chat_history: [] };
    this.#db.transactionSync(() => {
      this.#sweep(now.getTime(), this.#maxSessions - 1);
      this.#db.sql.exec(
        `INSERT INTO ${SESSIONS} (id, created, active) VALUES (?, ?, ?)`,
        session.id,
        session.created,
        now.getTime(),
      );
    });
    return session;
  }

  /** Removes every session past retention (the object's daily alarm calls it). */
  async sweep(): Promise<{ removed: number }> {
    return {
      removed: this.#db.transactionSync(() => this.#sweep(this.#clock.now().getTime(), this.#maxSessions)),
    };
  }

  /** Deletes idle sessions, then the least recently active beyond `keep`; returns how many. */
  #sweep(now: number, keep: number): number {
    const sql = this.#db.sql;
    const idle = sql
      .exec<{ id: string }>(`SELECT id FROM ${SESSIONS} WHERE active < ?`, now - this.#maxAgeMs)
      .toArray();
    const count = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${SESSIONS}`).one().n - idle.length;
    const excess =
      count > keep
        ? sql
            .exec<{ id: string }>(
              `SELECT id FROM ${SESSIONS} WHERE active >= ? ORDER BY active, id LIMIT ?`,
              now - this.#maxAgeMs,
              count - keep,
            )
            .toArray()
        : [];
    for (const { id } of [...idle, ...excess]) {
      sql.exec(`DELETE FROM ${MESSAGES} WHERE session = ?`, id);
      sql.exec(`DELETE FROM ${SESSIONS} WHERE id = ?`, id);
    }
    return idle.length + excess.length;
  }

  /** The session with its messages, oldest first; `NotFoundError` (also for malformed ids). */
  async get(id: string): Promise<Session> {
    const row = this.#row(id);
    const chat_history = this.#db.sql
      .exec<{ body: string }>(`SELECT body FROM ${MESSAGES} WHERE session = ? ORDER BY n`, id)
      .toArray()
      .map((m) => parseBody<ChatMessage>(m.body, MESSAGES));
    return { id, created: row.created, chat_history };
  }

  /** Appends a message (one insert, trimmed to `maxMessages` in the same transaction). */
  async addMessage(
    id: string,
    message: { role: "user" | "assistant"; content: string },
  ): Promise<ChatMessage> {
    if (message.role !== "user" && message.role !== "assistant") {
      throw new ValidationError('role must be "user" or "assistant"', { details: { field: "role" } });
    }
    if (typeof message.content !== "string" || message.content.length > MAX_MESSAGE_LENGTH) {
      throw new ValidationError(`content must be a string of at most ${MAX_MESSAGE_LENGTH} characters`, {
        details: { field: "content" },
      });
    }
    const stored: ChatMessage = {
      role: message.role,
      content: message.content,
      at: this.#clock.now().toISOString(),
    };
    this.#db.transactionSync(() => {
      this.#row(id);
      const sql = this.#db.sql;
      sql.exec(
        `INSERT INTO ${MESSAGES} (session, n, body) VALUES (?, (SELECT COALESCE(MAX(n), 0) + 1 FROM ${MESSAGES} WHERE session = ?), ?)`,
        id,
        id,
        JSON.stringify(stored),
      );
      sql.exec(`UPDATE ${SESSIONS} SET active = ? WHERE id = ?`, Date.parse(stored.at), id);
      sql.exec(
        `DELETE FROM ${MESSAGES} WHERE session = ? AND n NOT IN (SELECT n FROM ${MESSAGES} WHERE session = ? ORDER BY n DESC LIMIT ?)`,
        id,
        id,
        this.#maxMessages,
      );
    });
    return stored;
  }

  /** Whether session `id` is stored (false for malformed ids). */
  has(id: string): boolean {
    return SESSION_ID.test(id) && this.#find(id) !== undefined;
  }

  /**
   * Stores a session made elsewhere (a migration of `sessions/<id>.json`) as it is: its id,
   * `created` and messages, each message verbatim (unknown fields included), the newest
   * `maxMessages` of them. Its activity, which retention reads, is its last message's time,
   * else `created` (as `SessionStore` reckons it). Returns false, changing nothing, when a
   * session with that id is already stored: importing twice is harmless. One transaction;
   * synchronous, so it can be part of a caller's `transactionSync`. Members of the session
   * other than `id`, `created` and `chat_history` have no column here and are not kept.
   */
  importSession(session: Session): boolean {
    const { id, created, chat_history: messages } = session;
    if (typeof id !== "string" || !SESSION_ID.test(id)) {
      throw new ValidationError("session id must be 32 lowercase hex characters", {
        details: { field: "id" },
      });
    }
    if (typeof created !== "string" || !Array.isArray(messages)) {
      throw new ValidationError(`session ${id}: created must be a string and chat_history a list`, {
        details: { field: "created" },
      });
    }
    const kept = messages.slice(Math.max(0, messages.length - this.#maxMessages));
    const bodies = kept.map((message, i) => {
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        throw new ValidationError(`session ${id}: message ${i} is not an object`, {
          details: { field: "chat_history", index: i },
        });
      }
      const body = JSON.stringify(message);
      assertRecordFits(body, `session ${id} message ${i}`);
      return body;
    });
    const lastAt: unknown = kept.at(-1)?.at;
    const last = Date.parse(typeof lastAt === "string" ? lastAt : created);
    const active = Number.isNaN(last) ? this.#clock.now().getTime() : last;
    return this.#db.transactionSync(() => {
      if (this.#find(id)) return false;
      const sql = this.#db.sql;
      sql.exec(`INSERT INTO ${SESSIONS} (id, created, active) VALUES (?, ?, ?)`, id, created, active);
      for (const [i, body] of bodies.entries()) {
        sql.exec(`INSERT INTO ${MESSAGES} (session, n, body) VALUES (?, ?, ?)`, id, i + 1, body);
      }
      return true;
    });
  }

  /** Deletes a session and its messages; `NotFoundError` when absent. */
  async delete(id: string): Promise<void> {
    this.#db.transactionSync(() => {
      this.#row(id);
      this.#db.sql.exec(`DELETE FROM ${MESSAGES} WHERE session = ?`, id);
      this.#db.sql.exec(`DELETE FROM ${SESSIONS} WHERE id = ?`, id);
    });
  }

  #row(id: string): { created: string } {
    if (!SESSION_ID.test(id)) throw new NotFoundError("session does not exist");
    const row = this.#find(id);
    if (!row) throw new NotFoundError("session does not exist");
    return row;
  }

  #find(id: string): { created: string } | undefined {
    return this.#db.sql
      .exec<{ created: string }>(`SELECT created FROM ${SESSIONS} WHERE id = ?`, id)
      .toArray()[0];
  }
}
