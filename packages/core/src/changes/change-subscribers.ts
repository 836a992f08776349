import type { ChangeSubscription, SubscribeOptions } from "./change-feed.ts";
import { DEFAULT_MAX_LAG } from "./change-feed.ts";
import type { ChangeRecord } from "./change-record.ts";

/** What subscribers read from: a feed's retained records (in memory on Node, a table on the Worker). */
export interface RetainedRecords {
  /**
   * Up to `max` retained records with `seq > after`, oldest first; `null` when some record after
   * `after` is no longer retained (trimmed, or history restarted past it).
   */
  recordsAfter(after: number, max: number): ChangeRecord[] | null;
}

/**
 * The live subscribers of one feed, shared by every `ChangeFeed` implementation: the feed calls
 * `appended()` once per acknowledged record, and each subscriber reads the records themselves
 * from the feed (`RetainedRecords`) when it is ready. Nothing is copied per subscriber, so a
 * subscriber costs a writer nothing but a wake-up, and a writer never waits for one.
 *
 * Lag is counted in records: every record appended since this set was made has a number, and
 * each subscriber knows the number of the next one it would take. One more than its `maxLag`
 * behind is flagged at once (`onOverflow`, from the writer's acknowledgement) and its next
 * `take` is `"resync"`.
 */
export class ChangeSubscribers {
  readonly #records: RetainedRecords;
  readonly #open = new Set<Subscriber>();
  #appended = 0;

  constructor(records: RetainedRecords) {
    this.#records = records;
  }

  /**
   * A subscriber that next takes the records after `after`; `backlog` of them are retained
   * already (they count towards its lag from the start).
   */
  add(after: number, backlog: number, options: SubscribeOptions = {}): ChangeSubscription {
    const sub = new Subscriber(this, after, this.#appended - backlog, options);
    this.#open.add(sub);
    return sub;
  }

  /** One record was appended (acknowledged): wakes every subscriber. */
  appended(): void {
    const end = ++this.#appended;
    for (const sub of this.#open) sub.notify(end);
  }

  /** Ends every open subscription. */
  closeAll(): void {
    for (const sub of [...this.#open]) sub.close();
  }

  /** Subscribers currently open. */
  get size(): number {
    return this.#open.size;
  }

  /** For `Subscriber`. */
  read(after: number, max: number): ChangeRecord[] | null {
    return this.#records.recordsAfter(after, max);
  }

  /** For `Subscriber`. */
  remove(sub: Subscriber): void {
    this.#open.delete(sub);
  }
}

class Subscriber implements ChangeSubscription {
  readonly #set: ChangeSubscribers;
  /** The seq of the last record taken (or where the subscription started). */
  #after: number;
  /** The number (in `ChangeSubscribers`' count) of the next record to take. */
  #position: number;
  readonly #maxLag: number;
  readonly #onOverflow: (() => void) | undefined;
  #overflowed = false;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(set: ChangeSubscribers, after: number, position: number, options: SubscribeOptions) {
    this.#set = set;
    this.#after = after;
    this.#position = position;
    this.#maxLag = Math.max(1, options.maxLag ?? DEFAULT_MAX_LAG);
    this.#onOverflow = options.onOverflow;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** A record was appended; `end` is the number after the newest. */
  notify(end: number): void {
    if (!this.#overflowed && end - this.#position > this.#maxLag) {
      this.#overflowed = true;
      try {
        this.#onOverflow?.();
      } catch {
        // A listener's failure must never reach the writer that appended.
      }
    }
    this.#release();
  }

  take(max: number): ChangeRecord[] | "resync" {
    if (this.#closed && !this.#overflowed) return [];
    const records = this.#overflowed ? null : this.#set.read(this.#after, max);
    if (records === null) {
      this.#overflowed = true;
      this.close();
      return "resync";
    }
    if (records.length > 0) {
      this.#after = records[records.length - 1]!.seq;
      this.#position += records.length;
    }
    return records;
  }

  wait(): Promise<void> {
    if (this.#closed || this.#overflowed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  #release(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#set.remove(this);
    this.#release();
  }
}
