import type { StorageAdapter } from "../storage/adapter.ts";
import type { Clock } from "../util/clock.ts";
import { parseSessionKey, SESSIONS_PREFIX } from "./session-files.ts";

export interface SessionActivity {
  id: string;
  /** Last write to any of the session's files (ms since the epoch). */
  lastActiveMs: number;
}

export interface RetentionPolicy {
  /** Sessions kept, most recently active first. */
  maxSessions: number;
  /** Sessions idle longer than this are removed. */
  maxAgeMs: number;
}

/**
 * The sessions past retention, least recently active first (ties by id, so the choice is
 * deterministic): every one idle longer than `maxAgeMs`, then the least recently active until
 * at most `maxSessions` remain.
 */
export function sessionsPastRetention(
  sessions: readonly SessionActivity[],
  nowMs: number,
  policy: RetentionPolicy,
): string[] {
  const oldestFirst = [...sessions].sort((a, b) =>
    a.lastActiveMs !== b.lastActiveMs ? a.lastActiveMs - b.lastActiveMs : a.id < b.id ? -1 : 1,
  );
  const excess = Math.max(0, oldestFirst.length - policy.maxSessions);
  return oldestFirst
    .filter((s, index) => index < excess || nowMs - s.lastActiveMs > policy.maxAgeMs)
    .map((s) => s.id);
}

/**
 * How often a kept index is rebuilt from storage anyway, so any drift (a create whose write
 * failed after its file landed, a session removed by hand) heals.
 */
const RESYNC_MS = 60 * 60 * 1000;

export interface SessionRetentionOptions {
  storage: StorageAdapter;
  clock: Clock;
  policy: RetentionPolicy;
  /**
   * Keep an in-memory index of every session's last activity, built from one `list` and then
   * updated by this process's own writes. Only sound when this process is the storage's only
   * writer; otherwise every judgement lists the storage.
   */
  keepIndex: boolean;
  /** Last activity of a session the storage lists without a modification time. */
  readActivity: (id: string) => Promise<number>;
}

/**
 * Decides which sessions are past retention. Activity comes from the storage's modification
 * times (one `list` of `sessions/`, no session read), or, when this process is the only
 * writer, from an index that listing built and this process's writes keep current, so a
 * create at the cap costs no listing at all.
 */
export class SessionRetention {
  readonly #options: SessionRetentionOptions;
  /** Last activity per session id (`keepIndex` only); trusted once `#syncedAtMs` is set. */
  readonly #index = new Map<string, number>();
  #syncedAtMs = Number.NEGATIVE_INFINITY;
  /** Listings running, and the sessions removed meanwhile (a listing may still have seen them). */
  #listings = 0;
  readonly #removedWhileListing = new Set<string>();

  constructor(options: SessionRetentionOptions) {
    this.#options = options;
  }

  /**
   * Up to `limit` ids to remove now, leaving `room` places under the count cap: message logs
   * whose session file is gone (a crash mid-delete; found by listing only), then the sessions
   * past retention, least recently active first. `resync` lists the storage even when the
   * index is current.
   */
  async pastRetention(limit: number, room: number, resync = false): Promise<string[]> {
    const { clock, policy, keepIndex } = this.#options;
    const nowMs = clock.now().getTime();
    let orphans: string[] = [];
    let sessions: SessionActivity[];
    if (keepIndex && !resync && nowMs - this.#syncedAtMs < RESYNC_MS) {
      sessions = [...this.#index].map(([id, lastActiveMs]) => ({ id, lastActiveMs }));
    } else {
      this.#listings++;
      try {
        ({ orphans, sessions } = await this.#list());
        if (keepIndex) this.#rebuild(sessions, nowMs);
      } finally {
        if (--this.#listings === 0) this.#removedWhileListing.clear();
      }
    }
    const past = sessionsPastRetention(sessions, nowMs, {
      maxSessions: policy.maxSessions - room,
      maxAgeMs: policy.maxAgeMs,
    });
    return [...orphans, ...past].slice(0, limit);
  }

  /** This process created or wrote to session `id` at `atMs`. */
  active(id: string, atMs: number): void {
    if (this.#options.keepIndex) this.#index.set(id, atMs);
  }

  /** Session `id` is gone. */
  removed(id: string): void {
    this.#index.delete(id);
    if (this.#listings > 0) this.#removedWhileListing.add(id);
  }

  /**
   * Replaces the index with a listing that began at `startedMs`. Writes recorded while it ran
   * may be newer than what it saw, so they are kept; sessions removed while it ran may still
   * be in it, so they are left out.
   */
  #rebuild(listed: SessionActivity[], startedMs: number): void {
    const during = [...this.#index].filter(([, atMs]) => atMs >= startedMs);
    this.#index.clear();
    for (const { id, lastActiveMs } of listed) {
      if (!this.#removedWhileListing.has(id)) this.#index.set(id, lastActiveMs);
    }
    for (const [id, atMs] of during) this.#index.set(id, Math.max(atMs, this.#index.get(id) ?? atMs));
    this.#syncedAtMs = startedMs;
  }

  async #list(): Promise<{ orphans: string[]; sessions: SessionActivity[] }> {
    const files = new Map<string, { header?: number; log?: number }>();
    for (const listed of await this.#options.storage.list(SESSIONS_PREFIX)) {
      const parsed = parseSessionKey(listed.key);
      if (!parsed) continue; // not a session file: left alone
      const entry = files.get(parsed.id) ?? {};
      entry[parsed.kind] = listed.modifiedMs ?? Number.NaN;
      files.set(parsed.id, entry);
    }
    const orphans: string[] = [];
    const sessions: SessionActivity[] = [];
    for (const [id, { header, log }] of files) {
      if (header === undefined) {
        orphans.push(id);
      } else if (Number.isNaN(header) || Number.isNaN(log ?? 0)) {
        sessions.push({ id, lastActiveMs: await this.#options.readActivity(id) });
      } else {
        sessions.push({ id, lastActiveMs: Math.max(header, log ?? header) });
      }
    }
    return { orphans, sessions };
  }
}
