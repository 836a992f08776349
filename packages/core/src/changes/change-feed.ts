import type { ChangePage, ChangeRecord, HistoryEntry } from "./change-record.ts";

/**
 * The change feed of a store (SPEC `GET /api/changes`, `GET /api/nodes/:id/history`): its
 * acknowledged change records in `seq` order, without gaps, for as long as they are retained.
 */
export interface ChangeFeed {
  /**
   * Records with `seq > since`, at most `limit` (default 100). `since` defaults to the oldest
   * retained point. `GoneError` when `since` is older than what is retained.
   */
  changesSince(since?: number, limit?: number): Promise<ChangePage>;
  /** The retained changes touching node `id`, newest first, at most `limit` (default 100). */
  nodeHistory(id: string, limit?: number): Promise<HistoryEntry[]>;
  /**
   * Follows the feed from `since` (default: from now on): retained records first, then each
   * record as it is acknowledged. `GoneError` when `since` is older than what is retained.
   */
  subscribe(since?: number, options?: SubscribeOptions): ChangeSubscription;
  /** Ends every live subscription (a stopping server: its streams must end for it to drain). */
  closeSubscriptions(): void;
}

export interface SubscribeOptions {
  /**
   * How many records this subscriber may fall behind the newest before it is cut off with
   * `"resync"` (its bounded buffer). Writers never wait for a subscriber. Default 1,000.
   */
  maxLag?: number;
  /**
   * Called once, synchronously from the writer's acknowledgement, when this subscriber falls
   * too far behind. Only schedule work here (a stream consumer may be stuck in a write).
   */
  onOverflow?: () => void;
}

export interface ChangeSubscription {
  /**
   * Up to `max` records not yet taken, in `seq` order (`[]` when there are none yet), or
   * `"resync"` once this subscriber fell further behind than its `maxLag` (or behind retention):
   * it must reload the graph. After `"resync"` the subscription is closed.
   */
  take(max: number): ChangeRecord[] | "resync";
  /** Resolves when a record is appended or the subscription is closed. */
  wait(): Promise<void>;
  readonly closed: boolean;
  /** This subscriber fell too far behind: its next `take` is `"resync"`. */
  readonly overflowed: boolean;
  close(): void;
}

export const DEFAULT_MAX_LAG = 1000;
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
