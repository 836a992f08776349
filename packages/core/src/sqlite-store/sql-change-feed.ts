import type { ChangeFeed, ChangeSubscription, SubscribeOptions } from "../changes/change-feed.ts";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "../changes/change-feed.ts";
import {
  type ChangePage,
  type ChangeRecord,
  type HistoryEntry,
  historyEntries,
  toItem,
} from "../changes/change-record.ts";
import { ChangeSubscribers, type RetainedRecords } from "../changes/change-subscribers.ts";
import { GoneError } from "../errors/errors.ts";
import { changesAfter, changesFloor, changesOfNode, countChangesAfter } from "./sql-changes.ts";
import type { SqlExec } from "./sql-database.ts";
import { readSeq } from "./sql-state.ts";

/**
 * The change feed of a `SqliteGraphStore`, read from its `changes` table (`sql-changes.ts`),
 * where each commit wrote its record in its own transaction: only committed changes are ever
 * read, and a rolled-back write never was. Live subscribers are the shared `ChangeSubscribers`:
 * the store calls `appended()` after each transaction that stored a record, and each subscriber
 * reads the records themselves from the table when it is ready.
 *
 * In a Durable Object, what a subscriber sends after `appended()` leaves the object only once
 * the write is durable (the runtime's output gate holds outgoing messages until then), so the
 * feed never shows a change before it is acknowledged.
 */
export class SqlChangeFeed implements ChangeFeed, RetainedRecords {
  readonly #sql: SqlExec;
  readonly #subscribers = new ChangeSubscribers(this);

  constructor(sql: SqlExec) {
    this.#sql = sql;
  }

  /** The smallest `since` still answered: retained history is complete after it. */
  floor(): number {
    return changesFloor(this.#sql);
  }

  #assertRetained(since: number): void {
    const floor = this.floor();
    if (!Number.isSafeInteger(since) || since < floor) throw new GoneError(floor);
  }

  async changesSince(since?: number, limit = DEFAULT_PAGE_LIMIT): Promise<ChangePage> {
    const from = since ?? this.floor();
    this.#assertRetained(from);
    const records = changesAfter(this.#sql, from, pageSize(limit)) ?? [];
    const items = records.map(toItem);
    return { items, next_since: items.length > 0 ? items[items.length - 1]!.seq : Math.max(from, 0) };
  }

  async nodeHistory(id: string, limit = DEFAULT_PAGE_LIMIT): Promise<HistoryEntry[]> {
    const n = pageSize(limit);
    const out: HistoryEntry[] = [];
    // Every record listed touches the node at least once: `n` records give `n` entries or more.
    for (const record of changesOfNode(this.#sql, id, n)) {
      for (const entry of historyEntries(record, id)) {
        if (out.length === n) return out;
        out.push(entry);
      }
    }
    return out;
  }

  subscribe(since?: number, options: SubscribeOptions = {}): ChangeSubscription {
    if (since === undefined) return this.#subscribers.add(readSeq(this.#sql), 0, options);
    this.#assertRetained(since);
    return this.#subscribers.add(since, countChangesAfter(this.#sql, since), options);
  }

  recordsAfter(after: number, max: number): ChangeRecord[] | null {
    return changesAfter(this.#sql, after, max);
  }

  /** A transaction that stored a record committed: wakes the subscribers. */
  appended(): void {
    this.#subscribers.appended();
  }

  closeSubscriptions(): void {
    this.#subscribers.closeAll();
  }

  /** Subscribers currently open. */
  get subscribers(): number {
    return this.#subscribers.size;
  }
}

function pageSize(limit: number): number {
  return Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(limit)));
}
