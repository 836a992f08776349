import type { WorkerEnv } from "../src/env.ts";
import worker from "../src/index.ts";
import { TOKEN } from "./support.ts";

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events client over a response of the Worker's own entry point (gateway →
 * `stub.fetch` → the object's stream), for the change-feed tests in workerd: it parses events
 * as they arrive, can stop reading (a stalled consumer: backpressure reaches the object) and
 * can cancel the body (a forced disconnect).
 */
export class SseStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** The body of a non-200 answer. */
  errorBody = "";
  readonly ended: Promise<void>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #waiters = new Set<() => void>();
  #paused: { resolve: () => void; promise: Promise<void> } | null = null;
  #buffer = "";

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
      this.#buffer += text;
      for (let end = this.#buffer.indexOf("\n\n"); end !== -1; end = this.#buffer.indexOf("\n\n")) {
        this.#parse(this.#buffer.slice(0, end));
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#notify();
    }
  }

  #parse(block: string): void {
    const event: SseEvent = { event: "message", data: "" };
    const data: string[] = [];
    let comment = true;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      comment = false;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
    }
    if (comment) {
      this.comments++;
      return;
    }
    event.data = data.join("\n");
    this.events.push(event);
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
