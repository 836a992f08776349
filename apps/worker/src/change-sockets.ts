import { errorBody } from "@dawsos/api";
import { toItem } from "@dawsos/core";
import type { SqliteGraphStore } from "@dawsos/core/sqlite-store";
import type { DurableObjectStateLike, FeedSocket } from "./env.ts";

/** What a socket keeps across hibernation (`serializeAttachment`): the seq it was sent up to. */
interface SocketState {
  after: number;
}

/** What one broadcast read for sockets that were sent up to the same seq. */
type Batch = { texts: string[]; after: number } | null;

/** The Workers runtime's `WebSocketPair` (not in the DOM types this package checks against). */
declare const WebSocketPair: new () => { 0: FeedSocket; 1: FeedSocket };

/** The object's Hono app, which checks an upgrade request as the JSON page of the same URL. */
interface FeedApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Records read per query while catching a socket up. */
const READ = 256;

/**
 * `GET /api/changes` with `Upgrade: websocket`: the change feed over WebSockets accepted with
 * the hibernation API (`ctx.acceptWebSocket`), so an idle subscriber costs nothing — the object
 * may leave memory while sockets stay open, and each socket's position survives in its
 * attachment. The object writes to sockets only after a commit or an import (`broadcast`, from
 * the store's events; a commit wakes the object anyway): each message is one change record, the
 * same JSON as an SSE event's data. A socket whose next records are no longer retained gets
 * `{"event":"resync"}` and is closed (code 4000): reload the graph, connect again.
 *
 * Unlike an SSE stream, a socket is never held back by a slow reader here (`send` does not
 * wait): the runtime buffers what the client has not read.
 */
export class ChangeSockets {
  readonly #state: DurableObjectStateLike;
  readonly #store: SqliteGraphStore;
  readonly #app: FeedApp;
  readonly #max: number;

  constructor(state: DurableObjectStateLike, store: SqliteGraphStore, app: FeedApp, max: number) {
    this.#state = state;
    this.#store = store;
    this.#app = app;
    this.#max = max;
  }

  static isUpgrade(request: Request): boolean {
    return (
      request.headers.get("upgrade")?.toLowerCase() === "websocket" &&
      new URL(request.url).pathname === "/api/changes"
    );
  }

  /**
   * Accepts a socket following the feed after `since` (default: from now on). The checks are
   * those of the JSON page of the same request (auth, `since` valid and retained: 410 `gone`),
   * whose answer is returned as it is unless it is 200.
   */
  async open(request: Request): Promise<Response> {
    const url = new URL(request.url);
    url.searchParams.set("limit", "1");
    const headers = new Headers(request.headers);
    headers.delete("upgrade");
    headers.set("accept", "application/json");
    const check = await this.#app.fetch(new Request(url, { headers }));
    if (check.status !== 200) return check;
    if ((this.#state.getWebSockets?.().length ?? 0) >= this.#max) {
      return Response.json(errorBody("rate_limited", `at most ${this.#max} change sockets at once`), {
        status: 503,
        headers: { "retry-after": "5" },
      });
    }
    const since = url.searchParams.get("since");
    const pair = new WebSocketPair();
    this.#state.acceptWebSocket?.(pair[1]);
    pair[1].serializeAttachment({ after: since === null ? await this.#store.seq() : Number(since) });
    this.#send(pair[1], new Map());
    return new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  }

  /** Sends every socket the records it has not had yet (after each commit and import). */
  broadcast(): void {
    const batches = new Map<number, Batch>();
    for (const socket of this.#state.getWebSockets?.() ?? []) this.#send(socket, batches);
  }

  #send(socket: FeedSocket, batches: Map<number, Batch>): void {
    try {
      let { after } = socket.deserializeAttachment() as SocketState;
      for (;;) {
        let batch = batches.get(after);
        if (batch === undefined) {
          const records = this.#store.changes.recordsAfter(after, READ);
          batch = records && {
            texts: records.map((r) => JSON.stringify(toItem(r))),
            after: records.length > 0 ? records[records.length - 1]!.seq : after,
          };
          batches.set(after, batch);
        }
        if (batch === null) {
          socket.send('{"event":"resync"}');
          socket.close(4000, "resync");
          return;
        }
        if (batch.texts.length === 0) break;
        for (const text of batch.texts) socket.send(text);
        after = batch.after;
      }
      socket.serializeAttachment({ after } satisfies SocketState);
    } catch {
      // A socket closing meanwhile; its client reconnects with `since`.
    }
  }
}
