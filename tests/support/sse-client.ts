/**
 * A minimal Server-Sent Events client over node:http for the change-feed tests: it parses
 * events as they arrive (with the dashboard's `SseParser`, so the tests exercise the parser the
 * product uses), can pause reading (a stalled consumer: the socket's buffers fill and
 * the server's writes block) and can be cut off (a forced disconnect).
 */
import { Agent, type ClientRequest, type IncomingMessage, request } from "node:http";
import { SseParser } from "../../apps/dashboard/src/live/sse-parser.ts";
import { TEST_TOKEN } from "./processes.ts";

export interface SseEvent {
  /** The stream's last event id when this event was dispatched, if it had one. */
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  readonly status: number;
  readonly events: SseEvent[];
  /** Comment lines received (heartbeats). */
  readonly comments: number;
  /** Resolves when the server ends the stream (or the connection drops). */
  readonly ended: Promise<void>;
  /** Resolves once `predicate` holds for the events so far (rejects after `timeoutMs`). */
  until(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  pause(): void;
  resume(): void;
  /** Drops the connection from the client side. */
  destroy(): void;
  /** The body of a non-200 answer (an error envelope). */
  readonly errorBody: string;
}

export function openSse(
  baseUrl: string,
  path: string,
  options: { lastEventId?: string; token?: string | null } = {},
): Promise<SseStream> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined;
    req = request(
      new URL(path, baseUrl),
      { method: "GET", headers, agent: new Agent({ keepAlive: false }) },
      (res: IncomingMessage) => {
        const events: SseEvent[] = [];
        const waiters = new Set<() => void>();
        const parser = new SseParser();
        let errorBody = "";
        let endResolve!: () => void;
        const ended = new Promise<void>((r) => {
          endResolve = r;
        });
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (res.statusCode !== 200) {
            errorBody += chunk;
            return;
          }
          for (const e of parser.push(chunk))
            events.push({ event: e.type, data: e.data, ...(e.lastEventId ? { id: e.lastEventId } : {}) });
          for (const w of waiters) w();
        });
        const finish = () => {
          endResolve();
          for (const w of waiters) w();
        };
        res.on("end", finish);
        res.on("close", finish);
        res.on("error", finish);
        const stream: SseStream = {
          status: res.statusCode ?? 0,
          events,
          get comments() {
            return parser.comments;
          },
          get errorBody() {
            return errorBody;
          },
          ended,
          until(predicate, timeoutMs = 60_000) {
            return new Promise<void>((done, fail) => {
              if (predicate(events)) return done();
              let over = false;
              ended.then(() => {
                if (!over && !predicate(events)) {
                  over = true;
                  waiters.delete(check);
                  fail(new Error(`stream ended after ${events.length} events`));
                }
              });
              const timer = setTimeout(() => {
                over = true;
                waiters.delete(check);
                fail(new Error(`timed out with ${events.length} events`));
              }, timeoutMs);
              const check = () => {
                if (!over && predicate(events)) {
                  over = true;
                  clearTimeout(timer);
                  waiters.delete(check);
                  done();
                }
              };
              waiters.add(check);
            });
          },
          pause: () => res.pause(),
          resume: () => res.resume(),
          destroy: () => req?.destroy(),
        };
        resolve(stream);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The `seq` of each change event, in arrival order. */
export function seqsOf(events: readonly SseEvent[]): number[] {
  return events.filter((e) => e.event === "change").map((e) => Number(e.id));
}
