import { hasCode, NotFoundError, ValidationError } from "../errors/errors.ts";
import { parseJsonDocument } from "../format/read-document.ts";
import { toHex } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Mutex } from "../util/mutex.ts";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
  at: string;
}

/** Persisted session state (SPEC `sessions/<id>.json`). */
export interface Session {
  id: string;
  created: string;
  chat_history: ChatMessage[];
  [extra: string]: unknown;
}

/** Session ids: 32 hex characters from the platform CSPRNG (128 bits, unguessable). */
export const SESSION_ID = /^[0-9a-f]{32}$/;

export const MAX_MESSAGE_LENGTH = 32_000;

/** Compare-and-swap attempts of one append before the conflict is reported. */
const MAX_APPEND_ATTEMPTS = 20;

export interface SessionStoreOptions {
  clock?: Clock;
  /** Messages kept per session, oldest dropped first. Default 1,000. */
  maxMessages?: number;
}

/**
 * Sessions with chat history, one JSON file each under `sessions/`. Ids are random and are
 * checked against `SESSION_ID` before any key is built, so a path can never be smuggled in.
 */
export class SessionStore {
  readonly #storage: StorageAdapter;
  readonly #clock: Clock;
  readonly #maxMessages: number;
  readonly #locks = new Map<string, Mutex>();

  constructor(storage: StorageAdapter, options: SessionStoreOptions = {}) {
    this.#storage = storage;
    this.#clock = options.clock ?? systemClock;
    this.#maxMessages = options.maxMessages ?? 1000;
  }

  static newId(): string {
    return toHex(crypto.getRandomValues(new Uint8Array(16)));
  }

  #key(id: string): string {
    if (!SESSION_ID.test(id)) throw new NotFoundError("session does not exist");
    return `sessions/${id}.json`;
  }

  async create(): Promise<Session> {
    const session: Session = {
      id: SessionStore.newId(),
      created: this.#clock.now().toISOString(),
      chat_history: [],
    };
    await this.#storage.put(this.#key(session.id), `${JSON.stringify(session, null, 2)}\n`);
    return session;
  }

  /** The session, or `NotFoundError` (also for malformed ids). */
  async get(id: string): Promise<Session> {
    const stored = await this.#storage.get(this.#key(id));
    if (!stored) throw new NotFoundError("session does not exist");
    return parseJsonDocument(stored.body, this.#key(id)) as Session;
  }

  /** Appends a message; resolves with the stored message once durable. */
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
    const key = this.#key(id);
    let lock = this.#locks.get(id);
    if (!lock) {
      lock = new Mutex();
      this.#locks.set(id, lock);
    }
    return lock.run(async () => {
      const stored: ChatMessage = {
        role: message.role,
        content: message.content,
        at: this.#clock.now().toISOString(),
      };
      // The lock orders appends within this process. Where other processes write the same
      // storage (Worker isolates over R2), the write is a compare-and-swap on the etag read,
      // retried on a fresh read when another writer got in first: no message is lost.
      const cas = this.#storage.capabilities.conditionalWrites;
      for (let attempt = 1; ; attempt++) {
        const current = await this.#storage.get(key);
        if (!current) throw new NotFoundError("session does not exist");
        const session = parseJsonDocument(current.body, key) as Session;
        session.chat_history.push(stored);
        if (session.chat_history.length > this.#maxMessages) {
          session.chat_history.splice(0, session.chat_history.length - this.#maxMessages);
        }
        const body = `${JSON.stringify(session, null, 2)}\n`;
        try {
          await this.#storage.put(key, body, cas ? { ifMatch: current.etag } : {});
          return stored;
        } catch (err) {
          if (!cas || !hasCode(err, "precondition_failed") || attempt >= MAX_APPEND_ATTEMPTS) throw err;
        }
      }
    });
  }
}
