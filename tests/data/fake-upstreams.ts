/**
 * A fake FRED and a fake Financial Modeling Prep: real HTTP servers on 127.0.0.1 (port 0) that
 * answer like the providers (same paths, parameters, JSON shapes and error styles), count every
 * request, and can be told to fail, stall, or rate-limit. The data clients reach them through the
 * real global `fetch` — nothing is stubbed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  /** The test's clock at arrival (ms): lets budget tests count per window of an injected clock. */
  at: number;
}

export interface FakeBehaviour {
  /** Answer every request with this status (and a provider-style error body). */
  failWith: number | null;
  /** Wait this long before answering (for timeouts). */
  delayMs: number;
  /** The next N requests get 429 … */
  rateLimitNext: number;
  /** … with this Retry-After header (omitted when null). */
  retryAfter: string | null;
}

/** The shared machinery: server, request log, behaviour switches. */
abstract class FakeProvider {
  readonly requests: RecordedRequest[] = [];
  readonly behaviour: FakeBehaviour = { failWith: null, delayMs: 0, rateLimitNext: 0, retryAfter: null };
  /** The clock requests are stamped with (default: real time). */
  now: () => number = () => Date.now();
  #server: Server | null = null;
  #port = 0;

  constructor(readonly apiKey: string) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Requests whose query or path mentions `key` (a series id or a symbol). */
  count(key?: string): number {
    if (key === undefined) return this.requests.length;
    return this.requests.filter((r) => this.keyOf(r) === key).length;
  }

  /** Forgets recorded requests and resets behaviour. */
  reset(): void {
    this.requests.length = 0;
    Object.assign(this.behaviour, { failWith: null, delayMs: 0, rateLimitNext: 0, retryAfter: null });
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  protected abstract keyOf(request: RecordedRequest): string | undefined;
  protected abstract answer(request: RecordedRequest): { status: number; body: unknown };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const request: RecordedRequest = {
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      at: this.now(),
    };
    this.requests.push(request);
    const b = this.behaviour;
    if (b.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, b.delayMs));
    if (res.destroyed) return;
    if (b.rateLimitNext > 0) {
      b.rateLimitNext--;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (b.retryAfter !== null) headers["retry-after"] = b.retryAfter;
      res.writeHead(429, headers).end(JSON.stringify({ error: "Too Many Requests" }));
      return;
    }
    const { status, body } =
      b.failWith !== null ? { status: b.failWith, body: { error: "internal error" } } : this.answer(request);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }
}

/** `GET /fred/series/observations?series_id=&api_key=&file_type=json&sort_order=desc&limit=` */
export class FakeFred extends FakeProvider {
  /** Observations per series id, newest first. `units` variants under `<ID>.<units>`. */
  readonly series = new Map<string, Array<{ date: string; value: string }>>();

  get baseUrl(): string {
    return `${this.origin}/fred`;
  }

  /** Sets a series to one observation (or several, newest first). */
  set(id: string, ...observations: Array<[date: string, value: string]>): this {
    this.series.set(
      id,
      observations.map(([date, value]) => ({ date, value })),
    );
    return this;
  }

  protected keyOf(r: RecordedRequest): string | undefined {
    return r.query.series_id;
  }

  protected answer(r: RecordedRequest): { status: number; body: unknown } {
    const bad = (message: string) => ({ status: 400, body: { error_code: 400, error_message: message } });
    if (r.path !== "/fred/series/observations") return { status: 404, body: { error_message: "Not Found" } };
    if (r.query.api_key !== this.apiKey)
      return bad("Bad Request.  The value for variable api_key is not registered.");
    if (r.query.file_type !== "json") return bad("Bad Request. file_type must be json here.");
    const id = r.query.series_id ?? "";
    const units = r.query.units;
    const observations = this.series.get(units ? `${id}.${units}` : id);
    if (!observations) return bad("Bad Request.  The series does not exist.");
    const limit = Number(r.query.limit ?? 100_000);
    const ordered = r.query.sort_order === "desc" ? observations : [...observations].reverse();
    return {
      status: 200,
      body: { units: units ?? "lin", count: ordered.length, observations: ordered.slice(0, limit) },
    };
  }
}

export interface FakeQuote {
  price: number;
  change: number;
  changesPercentage: number;
  timestamp: number;
}

/** `GET /api/v3/quote/{symbol}?apikey=` */
export class FakeFmp extends FakeProvider {
  readonly quotes = new Map<string, FakeQuote>();

  get baseUrl(): string {
    return `${this.origin}/api`;
  }

  set(symbol: string, price: number, change = 1, changesPercentage = 0.5, timestamp = 1_767_268_800): this {
    this.quotes.set(symbol, { price, change, changesPercentage, timestamp });
    return this;
  }

  protected keyOf(r: RecordedRequest): string | undefined {
    return decodeURIComponent(r.path.replace(/^\/api\/v3\/quote\//, ""));
  }

  protected answer(r: RecordedRequest): { status: number; body: unknown } {
    const match = /^\/api\/v3\/quote\/([^/]+)$/.exec(r.path);
    if (!match) return { status: 404, body: { "Error Message": "Not found" } };
    if (r.query.apikey !== this.apiKey) {
      return {
        status: 401,
        body: { "Error Message": "Invalid API KEY. Please retry or visit our documentation." },
      };
    }
    const symbol = decodeURIComponent(match[1]!);
    const q = this.quotes.get(symbol);
    // FMP answers an unknown symbol with an empty list.
    return { status: 200, body: q ? [{ symbol, name: `${symbol} Inc.`, ...q, dayLow: q.price - 1 }] : [] };
  }
}
