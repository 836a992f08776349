import { GoneError } from "../errors/errors.ts";
import type { ChangeFeed, ChangeSubscription, SubscribeOptions } from "./change-feed.ts";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "./change-feed.ts";
import {
  type ChangePage,
  type ChangeRecord,
  type HistoryEntry,
  historyEntries,
  toItem,
} from "./change-record.ts";
import { type ChangeRetention, changeRetention } from "./change-retention.ts";
import { ChangeSubscribers, type RetainedRecords } from "./change-subscribers.ts";

/**
 * The retained tail of a store's changes, in memory, in `seq` order and without gaps: what
 * the feed and node histories are served from. A store appends a record only once it is
 * acknowledged (durable), so nothing here was ever rolled back.
 *
 * Subscribers (`ChangeSubscribers`) do not get copies: each reads this one list after the seq it
 * has taken, so a subscriber costs nothing per write but a wake-up, and a writer never waits
 * for one. A subscriber that falls more than its `maxLag` records behind (or behind retention)
 * is cut off with `"resync"`.
 */
export class ChangeLog implements ChangeFeed, RetainedRecords {
  readonly #retention: ChangeRetention;
  readonly #now: () => number;
  /** Retained records are `#records[#start…]`; the front is dropped lazily (no shift per append). */
  #records: ChangeRecord[] = [];
  #start = 0;
  /** The seq from which history is complete: retained records all have `seq > floor`. */
  #floor: number;
  /** The seq of the newest record (or `floor` when none). */
  #head: number;
  readonly #subscribers = new ChangeSubscribers(this);
  #parsedRecord: ChangeRecord | null = null;
  #parsedAt = 0;

  /** An empty log at `seq` (history starts here). */
  constructor(seq: number, options: { retention?: Partial<ChangeRetention>; now?: () => number } = {}) {
    this.#retention = changeRetention(options.retention);
    this.#now = options.now ?? Date.now;
    this.#floor = seq;
    this.#head = seq;
  }

  /**
   * A log holding `records` (any order, duplicates allowed) as far back as they continue each
   * other without a gap from `seq` (the current graph's) downwards; older ones are dropped.
   */
  static fromRecords(
    records: Iterable<ChangeRecord>,
    seq: number,
    options: { retention?: Partial<ChangeRetention>; now?: () => number } = {},
  ): ChangeLog {
    const bySeq = new Map<number, ChangeRecord>();
    for (const r of records) bySeq.set(r.seq, r);
    const chain: ChangeRecord[] = [];
    let expect = seq;
    for (;;) {
      const record = bySeq.get(expect);
      if (!record || record.from >= record.seq) break;
      chain.push(record);
      expect = record.from;
    }
    chain.reverse();
    const log = new ChangeLog(expect, options);
    log.#records = chain;
    log.#head = seq;
    log.#trim();
    return log;
  }

  get retention(): ChangeRetention {
    return this.#retention;
  }

  /** The smallest `since` still answered: retained history is complete after it. */
  get floor(): number {
    return this.#floor;
  }

  get head(): number {
    return this.#head;
  }

  get size(): number {
    return this.#records.length - this.#start;
  }

  /** Retained records, oldest first (a copy). */
  records(): ChangeRecord[] {
    return this.#records.slice(this.#start);
  }

  /**
   * Adds an acknowledged record and wakes subscribers. A record that does not continue the
   * newest one (the store's graph was swapped without one) restarts history at its `from`.
   */
  append(record: ChangeRecord): void {
    if (record.from !== this.#head) this.#restart(record.from);
    this.#records.push(record);
    this.#head = record.seq;
    this.#trim();
    this.#subscribers.appended();
  }

  /** History restarts at `seq` (nothing before it is answered). */
  #restart(seq: number): void {
    this.#records = [];
    this.#start = 0;
    this.#floor = seq;
    this.#head = seq;
  }

  /** Drops records past retention (count, then age). Call when the clock moved on too. */
  trim(): void {
    this.#trim();
  }

  #trim(): void {
    const { maxRecords, maxAgeMs } = this.#retention;
    const oldest = this.#now() - maxAgeMs;
    while (this.size > 0) {
      const first = this.#records[this.#start]!;
      if (this.size <= maxRecords && !(this.#timeOf(first) < oldest)) break;
      this.#floor = first.seq;
      this.#start++;
    }
    if (this.size === 0) this.#floor = this.#head;
    if (this.#start > 1024 && this.#start * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#start);
      this.#start = 0;
    }
  }

  /** `Date.parse(record.at)`, remembered for the oldest record: every append checks its age. */
  #timeOf(record: ChangeRecord): number {
    if (record !== this.#parsedRecord) {
      this.#parsedRecord = record;
      this.#parsedAt = Date.parse(record.at);
    }
    return this.#parsedAt;
  }

  /** Index (into `#records`) of the first retained record with `seq > since`. */
  #indexAfter(since: number): number {
    let lo = this.#start;
    let hi = this.#records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#records[mid]!.seq > since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #assertRetained(since: number): void {
    if (!Number.isSafeInteger(since) || since < this.#floor) throw new GoneError(this.#floor);
  }

  /** Retained records with `seq > since`, at most `limit`. */
  page(since: number = this.#floor, limit = DEFAULT_PAGE_LIMIT): ChangePage {
    this.#assertRetained(since);
    const n = Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(limit)));
    const from = this.#indexAfter(since);
    const items = this.#records.slice(from, from + n).map(toItem);
    return { items, next_since: items.length > 0 ? items[items.length - 1]!.seq : Math.max(since, 0) };
  }

  async changesSince(since?: number, limit?: number): Promise<ChangePage> {
    return this.page(since, limit);
  }

  history(id: string, limit = DEFAULT_PAGE_LIMIT): HistoryEntry[] {
    const n = Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(limit)));
    const out: HistoryEntry[] = [];
    for (let i = this.#records.length - 1; i >= this.#start && out.length < n; i--) {
      for (const entry of historyEntries(this.#records[i]!, id)) {
        out.push(entry);
        if (out.length === n) break;
      }
    }
    return out;
  }

  async nodeHistory(id: string, limit?: number): Promise<HistoryEntry[]> {
    return this.history(id, limit);
  }

  subscribe(since?: number, options: SubscribeOptions = {}): ChangeSubscription {
    if (since === undefined) return this.#subscribers.add(this.#head, 0, options);
    this.#assertRetained(since);
    return this.#subscribers.add(since, this.#records.length - this.#indexAfter(since), options);
  }

  recordsAfter(after: number, max: number): ChangeRecord[] | null {
    if (after < this.#floor) return null;
    const from = this.#indexAfter(after);
    return this.#records.slice(from, from + max);
  }

  closeSubscriptions(): void {
    this.#subscribers.closeAll();
  }

  /** Subscribers currently open. */
  get subscribers(): number {
    return this.#subscribers.size;
  }
}
