import type {
  ChangeAudit,
  ChangeFeed,
  MarketData,
  SessionService,
  WorkflowEngine,
  WorkflowRunLog,
} from "@dawsos/core";
import type { AnyGraphService, GraphReader } from "@dawsos/core/store";

/** What the app needs from its composition root (the Node server or the Worker). */
export interface AppDeps {
  /**
   * The graph: `GraphStore` (Node: journal and snapshot files, the graph in memory) or
   * `SqliteGraphStore` (the Worker's `GraphObject` Durable Object: the graph in SQLite tables,
   * read lazily). The app calls `refresh()` once per request before reading.
   */
  store: AnyGraphService;
  /**
   * How the routes read the graph. Default: `graphReaderOf(store)` (a `KnowledgeGraphReader`
   * over `store.graph`, or the store itself when it keeps the graph in tables).
   */
  reader?: GraphReader;
  sessions: SessionService;
  /** Serves `GET /api/workflows/history` when present. */
  history?: WorkflowRunLog;
  /**
   * FRED and market quotes (`/api/data/*`, `/api/cache/stats`). The routes exist only when this
   * is given; without an API key they answer 503 `not_configured`.
   */
  market?: MarketData;
  /** `GET /api/workflows`, `POST /api/workflows/:name/run` exist only when this is given. */
  workflows?: WorkflowEngine;
  /** Shown by `/health`: `"fs"`, `"r2"` or `"memory"`. */
  storageKind: string;
  /** Service version shown by `/health`. */
  version: string;
  /** When set, every `/api/*` request needs `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * A label for the token (`DAWSOS_API_TOKEN_LABEL`), recorded as the `actor` of every change
   * made through this API. Never the token itself.
   */
  tokenLabel?: string;
  /**
   * The change feed (`GET /api/changes`, `GET /api/nodes/:id/history`): the routes exist only
   * when the composition root provides it.
   */
  changes?: ChangeFeed;
  /** Limits of the SSE change stream (see `FeedLimits`). */
  feedLimits?: Partial<FeedLimits>;
  /**
   * When true, `/api/*` answers 503 `not_configured` if no token is set (the Worker requires
   * a token; the Node server on loopback does not).
   */
  requireToken?: boolean;
  /**
   * Browser protections for a server that answers without a token (the Node server without
   * `DAWSOS_API_TOKEN`; never the Worker, which always requires one). When set, on every route:
   * a `Host` that is neither a loopback name nor in `allowedHosts` gets 403 `forbidden` (DNS
   * rebinding), and so does a state-changing request whose `Origin` or `Sec-Fetch-Site` says it
   * comes from another origin than this server's own or `corsOrigins` (CSRF). With a token they
   * are not needed: a browser never attaches the bearer token to a request on its own.
   */
  noTokenProtection?: { allowedHosts: readonly string[] };
  /** Origins allowed by CORS. CORS is off unless this lists some. */
  corsOrigins?: readonly string[];
  /** Body limits in bytes. Defaults: 1 MiB, and 64 MiB for `PUT /api/graph`. */
  bodyLimit?: number;
  graphBodyLimit?: number;
  /** One structured line per request. */
  log?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  request_id: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

/** Hono environment: per-request variables set by our middleware. */
export interface ApiEnv {
  Variables: { requestId: string; jsonBody?: unknown };
}

/** Limits of `GET /api/changes` as an SSE stream. */
export interface FeedLimits {
  /** Streams open at once; one more gets 503 `rate_limited` (with Retry-After). Default 100. */
  maxSubscribers: number;
  /** A heartbeat comment after this long without an event. Default 15 s. */
  heartbeatMs: number;
  /** Records a subscriber may fall behind before it gets `resync` and the stream closes. Default 1,000. */
  maxLag: number;
  /**
   * How long a subscriber that fell behind has to read its `resync` event before the stream is
   * cut anyway (a client that reads nothing must not hold the connection). Default 30 s.
   */
  resyncGraceMs: number;
}

/** What the route modules get: the deps with the reader and the audit of API writes resolved. */
export type RouteDeps = AppDeps & { reader: GraphReader; audit: ChangeAudit };
