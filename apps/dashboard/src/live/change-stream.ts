import type { ChangeItem } from "../api/change-types.ts";
import { SseParser } from "./sse-parser.ts";

/** What the header's indicator shows about the live connection. */
export type LiveStatus =
  /** Not started: there is no graph (and so no `seq`) to follow yet. */
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "connected" }
  /** The stream dropped or could not be opened; the next attempt is scheduled. */
  | { state: "reconnecting"; reason: string }
  /** Several attempts failed in a row (still retrying), or retrying cannot help. */
  | { state: "offline"; reason: string; retrying: boolean };

export interface ChangeStreamOptions {
  /** Each record, in `seq` order, exactly once per `start()` (duplicates after a resume are dropped). */
  onItem: (item: ChangeItem) => void;
  onStatus: (status: LiveStatus) => void;
  /**
   * The feed cannot continue from our cursor (a `resync` event: we fell behind; 410: older than
   * what the server retains; an event we cannot read). The stream has stopped: reload the
   * graph, then `start()` again from its `seq`.
   */
  onResync: (reason: string) => void;
  /** The API answered 401: the stream has stopped until `start()` is called again. */
  onUnauthorized: () => void;
  /** Headers for every attempt (the bearer token, read again each time). */
  headers?: () => Record<string, string>;
  fetch?: typeof fetch;
  url?: string;
  /**
   * No byte at all for this long means a dead connection: abort it and reconnect (a half-open
   * TCP connection never errors by itself). The server sends a heartbeat after one to two
   * `DAWSOS_FEED_HEARTBEAT_MS` (15 s by default) of silence, so 60 s leaves room for a slow
   * server; a resume costs nothing lost if it cuts a live one.
   */
  idleTimeoutMs?: number;
  /** Reconnect delays: `baseMs` doubling per failed attempt up to `maxMs`, with jitter. */
  backoff?: { baseMs: number; maxMs: number };
  /** Failed attempts in a row after which the indicator says offline (retries go on). */
  offlineAfter?: number;
  random?: () => number;
}

type Outcome =
  | { kind: "ended"; reason: string }
  | { kind: "failed"; reason: string; retryAfterMs?: number }
  | { kind: "resync"; reason: string }
  | { kind: "unauthorized" }
  | { kind: "unavailable"; reason: string }
  | { kind: "stopped" };

const DEFAULTS = {
  url: "/api/changes",
  idleTimeoutMs: 60_000,
  backoff: { baseMs: 500, maxMs: 30_000 },
  offlineAfter: 3,
};

/**
 * The dashboard's subscription to `GET /api/changes` (SSE over `fetch`, so it can carry the
 * bearer token that `EventSource` cannot). It follows the feed from a `seq`, and after a drop
 * reconnects with `Last-Event-ID: <last seq seen>` (after a backoff), so nothing is missed or
 * seen twice; when the server cannot resume from there (`resync`, 410) it hands over to
 * `onResync`. Framework-free, so the reconnect logic is unit-tested without a browser.
 */
export class ChangeStream {
  readonly #options: ChangeStreamOptions;
  #cursor: number | null = null;
  /** Bumped by every start/stop: a loop of an older generation ends at its next step. */
  #generation = 0;
  #controller: AbortController | null = null;
  #wake: (() => void) | null = null;
  #status: LiveStatus = { state: "idle" };
  #running = false;

  constructor(options: ChangeStreamOptions) {
    this.#options = options;
  }

  /** The `seq` of the last record delivered (or the one started from); `null` before `start()`. */
  get cursor(): number | null {
    return this.#cursor;
  }

  get status(): LiveStatus {
    return this.#status;
  }

  /**
   * Whether it is following the feed (connected, or retrying after a drop). False before
   * `start()`, after `stop()`, and once it handed over to `onResync` or `onUnauthorized` or found
   * no feed on the server: then only `start()` goes on.
   */
  get running(): boolean {
    return this.#running;
  }

  /** Follows the feed from `since` (records with a greater `seq`), dropping any current stream. */
  start(since: number): void {
    this.#halt();
    this.#cursor = since;
    const generation = this.#generation;
    this.#running = true;
    this.#setStatus({ state: "connecting" });
    void this.#run(generation);
  }

  /**
   * Ends the stream and every retry; the cursor stays (a later `start()` decides where to go
   * on). `status` says why, when it is not simply idle (the token was refused elsewhere).
   */
  stop(status: LiveStatus = { state: "idle" }): void {
    this.#halt();
    this.#setStatus(status);
  }

  /** Cuts a pending reconnect delay short (the browser says it is online again). */
  retryNow(): void {
    this.#wake?.();
  }

  #halt(): void {
    this.#running = false;
    this.#generation++;
    this.#controller?.abort();
    this.#controller = null;
    this.#wake?.();
  }

  async #run(generation: number): Promise<void> {
    const backoff = this.#options.backoff ?? DEFAULTS.backoff;
    const offlineAfter = this.#options.offlineAfter ?? DEFAULTS.offlineAfter;
    const random = this.#options.random ?? Math.random;
    let failures = 0;
    let resuming = false;
    while (generation === this.#generation) {
      const outcome = await this.#connectOnce(generation, resuming);
      if (generation !== this.#generation || outcome.kind === "stopped") return;
      resuming = true;
      switch (outcome.kind) {
        case "resync":
          this.#setStatus({ state: "reconnecting", reason: outcome.reason });
          this.#running = false;
          this.#options.onResync(outcome.reason);
          return;
        case "unauthorized":
          this.#setStatus({ state: "offline", reason: "the server needs an API token", retrying: false });
          this.#running = false;
          this.#options.onUnauthorized();
          return;
        case "unavailable":
          this.#setStatus({ state: "offline", reason: outcome.reason, retrying: false });
          this.#running = false;
          return;
        case "ended":
          // It was connected: the first retry comes quickly (the server restarting, a proxy
          // timeout), and the failure count starts again.
          failures = 1;
          this.#setStatus({ state: "reconnecting", reason: outcome.reason });
          break;
        case "failed":
          failures++;
          this.#setStatus(
            failures >= offlineAfter
              ? { state: "offline", reason: outcome.reason, retrying: true }
              : { state: "reconnecting", reason: outcome.reason },
          );
          break;
      }
      const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
      // Jitter (50–100 %) so that many dashboards do not all come back in the same instant.
      let delay = exponential * (0.5 + random() / 2);
      if (outcome.kind === "failed" && outcome.retryAfterMs !== undefined)
        delay = Math.max(delay, outcome.retryAfterMs);
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  async #connectOnce(generation: number, resuming: boolean): Promise<Outcome> {
    const controller = new AbortController();
    this.#controller = controller;
    const cursor = this.#cursor ?? 0;
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      ...this.#options.headers?.(),
    };
    // A resumed stream names the last record it saw, as an EventSource would; `since` says the
    // same for servers or proxies that drop the header.
    if (resuming) headers["Last-Event-ID"] = String(cursor);
    const url = `${this.#options.url ?? DEFAULTS.url}?since=${cursor}`;
    let response: Response;
    try {
      response = await (this.#options.fetch ?? fetch)(url, {
        headers,
        signal: controller.signal,
        cache: "no-store",
      });
    } catch {
      if (controller.signal.aborted) return { kind: "stopped" };
      return { kind: "failed", reason: "cannot reach the server" };
    }
    if (generation !== this.#generation) {
      controller.abort();
      return { kind: "stopped" };
    }
    const refused = await refusal(response);
    if (refused) return refused;
    this.#setStatus({ state: "connected" });
    return this.#read(response.body!, controller, generation);
  }

  async #read(
    body: ReadableStream<Uint8Array>,
    controller: AbortController,
    generation: number,
  ): Promise<Outcome> {
    const idleMs = this.#options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let idle = false;
    let watchdog = setTimeout(onIdle, idleMs);
    function onIdle() {
      idle = true;
      controller.abort();
    }
    // Aborting the fetch errors its body in a browser; cancelling the reader as well ends a
    // pending read whatever the body is.
    const cancel = () => void reader.cancel().catch(() => {});
    controller.signal.addEventListener("abort", cancel);
    const ended = (reason: string): Outcome =>
      idle
        ? { kind: "ended", reason: "no heartbeat from the server" }
        : controller.signal.aborted
          ? { kind: "stopped" }
          : { kind: "ended", reason };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return ended("the server closed the stream");
        clearTimeout(watchdog);
        watchdog = setTimeout(onIdle, idleMs);
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          if (generation !== this.#generation) return { kind: "stopped" };
          if (event.type === "resync") return { kind: "resync", reason: "the live feed fell behind" };
          if (event.type !== "change") continue;
          const item = parseItem(event.data);
          if (!item) return { kind: "resync", reason: "a change the dashboard cannot read" };
          // Already seen (a resumed stream starts after the cursor, so this is only a guard).
          if (this.#cursor !== null && item.seq <= this.#cursor) continue;
          this.#cursor = item.seq;
          try {
            this.#options.onItem(item);
          } catch (err) {
            // What the page holds may now be half-updated: the only safe way on is a reload.
            console.error("applying a live change failed", err);
            return { kind: "resync", reason: "a change could not be applied" };
          }
        }
      }
    } catch {
      return ended("the connection dropped");
    } finally {
      clearTimeout(watchdog);
      controller.signal.removeEventListener("abort", cancel);
      cancel();
    }
  }

  #setStatus(status: LiveStatus): void {
    if (JSON.stringify(status) === JSON.stringify(this.#status)) return;
    this.#status = status;
    this.#options.onStatus(status);
  }
}

/** The outcome of an answer that is not an event stream, or `null` when it is one. */
async function refusal(response: Response): Promise<Outcome | null> {
  const type = response.headers.get("content-type") ?? "";
  if (response.ok && type.includes("text/event-stream") && response.body) return null;
  const code = await errorCode(response);
  if (response.status === 401) return { kind: "unauthorized" };
  if (response.status === 410) return { kind: "resync", reason: "the server no longer has our changes" };
  if (response.status === 404 || response.status === 501 || response.ok)
    return { kind: "unavailable", reason: "this server does not offer live updates" };
  if (response.status === 503) {
    const seconds = Number(response.headers.get("retry-after"));
    return {
      kind: "failed",
      reason:
        code === "rate_limited" ? "the server has too many live subscribers" : "the server is unavailable",
      ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}),
    };
  }
  // 400 would mean our cursor was refused: start again from a fresh graph.
  if (response.status === 400) return { kind: "resync", reason: "the server refused our position" };
  return { kind: "failed", reason: `the server answered ${response.status}` };
}

async function errorCode(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : null;
  } catch {
    return null;
  }
}

/** A change record, or `null` when the data is not one (checked just enough to apply it safely). */
function parseItem(data: string): ChangeItem | null {
  try {
    const item = JSON.parse(data) as Partial<ChangeItem> | null;
    if (!item || typeof item !== "object") return null;
    if (typeof item.seq !== "number" || !Number.isSafeInteger(item.seq)) return null;
    if (!Array.isArray(item.changes)) return null;
    return item as ChangeItem;
  } catch {
    return null;
  }
}
