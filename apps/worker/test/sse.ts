import { SseParser } from "../../dashboard/src/live/sse-parser.ts";
import type { WorkerEnv } from "../src/env.ts";
import worker from "../src/index.ts";
import { TOKEN } from "./support.ts";

export interface SseEvent {
  /** The stream's last event id when this event was dispatched, if it had one. */
  id?: string;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events client over a response of the Worker's own entry point (gateway →
 * `stub.fetch` → the object's stream), for the change-feed tests in workerd: it parses events
 * as they arrive (with the dashboard's `SseParser`), can stop reading (a stalled consumer: backpressure reaches the object) and
 * can cancel the body (a forced disconnect).
 */
export class SseStream {
  readonly events: SseEvent[] = [];
  /** The body of a non-200 answer. */
  errorBody = "";
  readonly ended: Promise<void>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #waiters = new Set<() => void>();
  #paused: { resolve: () => void; promise: Promise<void> } | null = null;
  readonly #parser = new SseParser();

  private constructor(
    readonly status: number,
    body: ReadableStream<Uint8Array>,
  ) {
    this.#reader = body.getReader();
    this.ended = this.#pump().finally(() => this.#notify());
  }

  static async open(
    workerEnv: WorkerEnv,
    path: string,
    options: { lastEventId?: string; token?: string | null } = {},
  ): Promise<SseStream> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    const token = options.token === undefined ? TOKEN : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
    const response = await worker.fetch(new Request(`http://worker.test${path}`, { headers }), workerEnv);
    return new SseStream(response.status, response.body!);
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    for (;;) {
      if (this.#paused) await this.#paused.promise;
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await this.#reader.read();
      } catch {
        return; // cancelled
      }
      if (chunk.done) return;
      const text = decoder.decode(chunk.value, { stream: true });
      if (this.status !== 200) {
        this.errorBody += text;
        continue;
      }
      for (const e of this.#parser.push(text))
        this.events.push({ event: e.type, data: e.data, ...(e.lastEventId ? { id: e.lastEventId } : {}) });
      this.#notify();
    }
  }

  /** Comment lines received (heartbeats). */
  get comments(): number {
    return this.#parser.comments;
  }

  #notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Resolves once `predicate` holds for the events so far; rejects if the stream ends first or
   * after `timeoutMs` (a bound so a broken build fails instead of hanging, not a timing check).
   */
  async until(predicate: (events: SseEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
    let ended = false;
    void this.ended.then(() => {
      ended = true;
    });
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (ended) throw new Error(`the stream ended first; ${this.events.length} events`);
      if (Date.now() > deadline) throw new Error(`timed out; ${this.events.length} events`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.#waiters.add(wake);
      });
    }
  }

  /** Stops reading: what the object writes next waits in the stream's buffers. */
  pause(): void {
    if (this.#paused) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#paused = { resolve, promise };
  }

  resume(): void {
    const paused = this.#paused;
    this.#paused = null;
    paused?.resolve();
  }

  /** Drops the stream from the client side. */
  async cancel(): Promise<void> {
    this.resume();
    await this.#reader.cancel().catch(() => undefined);
    await this.ended;
  }
}

/** The `seq`s of the change events, in arrival order. */
export function seqsOf(events: readonly SseEvent[]): number[] {
  return events.filter((e) => e.event === "change").map((e) => Number(e.id));
}
