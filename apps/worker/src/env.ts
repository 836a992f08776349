import type { SqlDatabase } from "@dawsos/core/sqlite-store";
import type { KvNamespaceLike, R2BucketLike } from "@dawsos/storage-kv";
import type { AssetsBinding } from "./dashboard-assets.ts";

/**
 * What `GraphObject` uses of `ctx.storage` (SQLite backend): SQL and transactions for the
 * graph, the alarm for the daily version, and the point-in-time recovery calls (which local
 * workerd may not offer: they are optional here).
 */
export interface DurableObjectStorageLike extends SqlDatabase {
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  getBookmarkForTime?(timestamp: number | Date): Promise<string>;
  onNextSessionRestoreBookmark?(bookmark: string): Promise<string>;
}

/** The part of a Workers `WebSocket` a change socket uses (the server side of a pair). */
export interface FeedSocket {
  send(message: string): void;
  close(code?: number, reason?: string): void;
  /** Kept by the runtime across hibernation (at most 2 KB). */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** What `GraphObject` uses of its `DurableObjectState` (structural, like the other bindings). */
export interface DurableObjectStateLike {
  readonly id: { toString(): string };
  readonly storage: DurableObjectStorageLike;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  /** Resets the object (its next request starts a new instance); used after a PITR bookmark. */
  abort?(reason?: string): void;
  /** The WebSocket hibernation API (change sockets). */
  acceptWebSocket?(socket: FeedSocket): void;
  getWebSockets?(): FeedSocket[];
}

export interface DurableObjectStubLike {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}

/**
 * The Worker's bindings (wrangler.jsonc, SPEC section 2). `API_TOKEN` and the provider keys
 * are secrets (`wrangler secret put`, or `wrangler dev --var API_TOKEN:<token>` locally).
 */
export interface WorkerEnv {
  /** `GraphObject` Durable Objects (SQLite backend): each holds one graph. */
  GRAPH_OBJECT: DurableObjectNamespaceLike;
  /** Versions, backups and exports (under `graph-object/<object id>/`). */
  GRAPH_BUCKET: R2BucketLike;
  CACHE_KV: KvNamespaceLike;
  /** Which graph the Worker serves (`idFromName`). Default `"default"`. */
  GRAPH_NAME?: string;
  API_TOKEN?: string;
  FRED_API_KEY?: string;
  FMP_API_KEY?: string;
  FRED_BASE_URL?: string;
  FMP_BASE_URL?: string;
  /**
   * A label for `API_TOKEN` (1–128 printable ASCII characters), recorded as the `actor` of every
   * change made through the API; never the token itself. The `DAWSOS_*` names below are the
   * Node server's own (README, configuration), read by the `GraphObject` (`feed-config.ts`).
   */
  DAWSOS_API_TOKEN_LABEL?: string;
  /** Change records the feed retains (default 10,000; `0` keeps none). */
  DAWSOS_CHANGES_MAX_RECORDS?: string;
  /** … and none older than this many days (default 7; decimals allowed). */
  DAWSOS_CHANGES_MAX_AGE_DAYS?: string;
  /** Change streams open at once per graph (default 100). */
  DAWSOS_FEED_MAX_SUBSCRIBERS?: string;
  /** Records a stream may fall behind before `resync` (default 1,000). */
  DAWSOS_FEED_MAX_LAG?: string;
  /** Heartbeat interval of an idle stream in ms (default 15,000). */
  DAWSOS_FEED_HEARTBEAT_MS?: string;
  /** How long a stream that fell behind has to read its `resync` in ms (default 30,000). */
  DAWSOS_FEED_RESYNC_GRACE_MS?: string;
  /** The dashboard's static assets (wrangler.jsonc `assets`); absent in unit tests. */
  ASSETS?: AssetsBinding;
}
