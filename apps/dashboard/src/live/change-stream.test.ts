import { afterEach, describe, expect, it } from "vitest";
import type { ChangeItem } from "../api/change-types.ts";
import { ChangeStream, type ChangeStreamOptions, type LiveStatus } from "./change-stream.ts";

/**
 * The reconnect logic against a scripted `fetch`: each call takes the next answer of the
 * script. A stream answer is a real `ReadableStream` the test writes SSE text into and closes
 * or errors, as a dropped connection would.
 */
interface Call {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

class Wire {
  readonly #encoder = new TextEncoder();
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      this.#controller = controller;
    },
  });
  cancelled = false;

  send(text: string): void {
    this.#controller.enqueue(this.#encoder.encode(text));
  }
  change(seq: number, changes: unknown[] = [{ op: "patch_node", at: "t", id: "A", data: { v: seq } }]): void {
    this.send(
      `id: ${seq}\nevent: change\ndata: ${JSON.stringify({ seq, at: "t", source: "api", changes })}\n\n`,
    );
  }
  close(): void {
    this.#controller.close();
  }
  drop(): void {
    this.#controller.error(new TypeError("network error"));
  }
}

type Answer = Response | Error | ((call: Call) => Response);

function sse(wire: Wire): Response {
  return new Response(wire.body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

function jsonError(status: number, code: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message: code } }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

let open: ChangeStream[] = [];
afterEach(() => {
  for (const stream of open) stream.stop();
  open = [];
});

function harness(script: Answer[], options: Partial<ChangeStreamOptions> = {}) {
  const calls: Call[] = [];
  const items: ChangeItem[] = [];
  const statuses: LiveStatus[] = [];
  const resyncs: string[] = [];
  let unauthorized = 0;
  const fetch = (async (url: string, init: RequestInit) => {
    const call: Call = {
      url,
      headers: init.headers as Record<string, string>,
      signal: init.signal!,
    };
    calls.push(call);
    const answer = script.shift();
    if (answer === undefined) {
      // Nothing scripted: hang until aborted (as a server that never answers).
      return new Promise<Response>((_, reject) =>
        call.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
      );
    }
    if (answer instanceof Error) throw answer;
    return typeof answer === "function" ? answer(call) : answer;
  }) as typeof globalThis.fetch;
  const stream = new ChangeStream({
    fetch,
    headers: () => ({ Authorization: "Bearer t0ken" }),
    onItem: (item) => items.push(item),
    onStatus: (status) => statuses.push(status),
    onResync: (reason) => resyncs.push(reason),
    onUnauthorized: () => unauthorized++,
    backoff: { baseMs: 1, maxMs: 4 },
    random: () => 0.5,
    ...options,
  });
  open.push(stream);
  return { stream, calls, items, statuses, resyncs, unauthorized: () => unauthorized };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const seqs = (items: ChangeItem[]) => items.map((i) => i.seq);
const states = (statuses: LiveStatus[]) => statuses.map((s) => s.state);

describe("ChangeStream", () => {
  it("follows the feed from a seq with the token, and delivers records in order", async () => {
    const wire = new Wire();
    const h = harness([sse(wire)]);
    h.stream.start(41);
    expect(h.stream.running).toBe(true);
    await until(() => h.stream.status.state === "connected", "connected");
    expect(h.calls[0]!.url).toBe("/api/changes?since=41");
    expect(h.calls[0]!.headers).toMatchObject({ Accept: "text/event-stream", Authorization: "Bearer t0ken" });
    expect(h.calls[0]!.headers["Last-Event-ID"]).toBeUndefined();
    wire.send(": heartbeat\n\n");
    wire.change(42);
    wire.change(43);
    await until(() => h.items.length === 2, "two items");
    expect(seqs(h.items)).toEqual([42, 43]);
    expect(h.stream.cursor).toBe(43);
    expect(states(h.statuses)).toEqual(["connecting", "connected"]);
  });

  it("after a drop, reconnects with Last-Event-ID and delivers nothing twice", async () => {
    const first = new Wire();
    const second = new Wire();
    const h = harness([sse(first), Error("offline"), sse(second)]);
    h.stream.start(10);
    await until(() => h.stream.status.state === "connected", "connected");
    first.change(11);
    first.change(12);
    await until(() => h.items.length === 2, "two items");
    first.drop();
    await until(() => h.calls.length === 3 && h.stream.status.state === "connected", "resumed");
    expect(h.calls[1]!.headers["Last-Event-ID"]).toBe("12");
    expect(h.calls[2]!.headers["Last-Event-ID"]).toBe("12");
    expect(h.calls[2]!.url).toBe("/api/changes?since=12");
    // A server that repeats a record it already sent: dropped here.
    second.change(12);
    second.change(13);
    await until(() => h.items.length === 3, "three items");
    expect(seqs(h.items)).toEqual([11, 12, 13]);
    expect(h.statuses).toEqual([
      { state: "connecting" },
      { state: "connected" },
      { state: "reconnecting", reason: "the connection dropped" },
      { state: "reconnecting", reason: "cannot reach the server" },
      { state: "connected" },
    ]);
  });

  it("says offline after repeated failures, keeps retrying, and comes back", async () => {
    const wire = new Wire();
    const h = harness([Error("down"), jsonError(502, "upstream_error"), Error("down"), sse(wire)], {
      offlineAfter: 3,
    });
    h.stream.start(0);
    await until(() => h.stream.status.state === "connected", "connected");
    expect(h.calls).toHaveLength(4);
    expect(h.statuses).toEqual([
      { state: "connecting" },
      { state: "reconnecting", reason: "cannot reach the server" },
      { state: "reconnecting", reason: "the server answered 502" },
      { state: "offline", reason: "cannot reach the server", retrying: true },
      { state: "connected" },
    ]);
  });

  it("waits as long as a 503's Retry-After says (the subscriber cap)", async () => {
    const wire = new Wire();
    const h = harness([jsonError(503, "rate_limited", { "retry-after": "1" }), sse(wire)]);
    const started = Date.now();
    h.stream.start(0);
    await until(() => h.stream.status.state === "connected", "connected");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(h.statuses[1]).toEqual({
      state: "reconnecting",
      reason: "the server has too many live subscribers",
    });
  });

  it("hands over to onResync on a resync event, on 410 gone and on an unreadable event, and stops", async () => {
    for (const [answer, reason] of [
      [(w: Wire) => w.send("event: resync\ndata: {}\n\n"), "the live feed fell behind"],
      [(w: Wire) => w.send("event: change\ndata: not json\n\n"), "a change the dashboard cannot read"],
      [null, "the server no longer has our changes"],
    ] as const) {
      const wire = new Wire();
      const h = harness([answer ? sse(wire) : jsonError(410, "gone")]);
      h.stream.start(5);
      if (answer) {
        await until(() => h.stream.status.state === "connected", "connected");
        answer(wire);
      }
      await until(() => h.resyncs.length === 1, "resync");
      expect(h.resyncs).toEqual([reason]);
      expect(h.stream.running).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
      expect(h.calls).toHaveLength(1); // no reconnect of its own
    }
  });

  it("stops on 401 (the token dialog takes over) and on 404 (no live updates on this server)", async () => {
    const a = harness([jsonError(401, "unauthorized")]);
    a.stream.start(0);
    await until(() => a.unauthorized() === 1, "unauthorized");
    expect(a.stream.status).toEqual({
      state: "offline",
      reason: "the server needs an API token",
      retrying: false,
    });

    const b = harness([jsonError(404, "not_found")]);
    b.stream.start(0);
    await until(() => b.stream.status.state === "offline", "offline");
    expect(b.stream.status).toEqual({
      state: "offline",
      reason: "this server does not offer live updates",
      retrying: false,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
    expect([a.stream.running, b.stream.running]).toEqual([false, false]);
  });

  it("aborts a connection that stays silent past the idle timeout, and resumes", async () => {
    const silent = new Wire();
    const next = new Wire();
    const h = harness([sse(silent), sse(next)], { idleTimeoutMs: 50 });
    h.stream.start(7);
    await until(() => h.calls.length === 2, "a second attempt");
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.calls[1]!.headers["Last-Event-ID"]).toBe("7");
    expect(h.statuses).toContainEqual({ state: "reconnecting", reason: "no heartbeat from the server" });
  });

  it("stop() ends the stream: no more records, no reconnect", async () => {
    const wire = new Wire();
    const h = harness([sse(wire)]);
    h.stream.start(1);
    await until(() => h.stream.status.state === "connected", "connected");
    h.stream.stop();
    expect(h.stream.running).toBe(false);
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.stream.status).toEqual({ state: "idle" });
    await new Promise((r) => setTimeout(r, 20));
    expect(h.calls).toHaveLength(1);
    expect(h.items).toEqual([]);
    // Stopped for a reason (a 401 elsewhere): the status says it.
    const offline = { state: "offline", reason: "the server needs an API token", retrying: false } as const;
    h.stream.stop(offline);
    expect(h.stream.status).toEqual(offline);
  });

  it("start() again moves to another seq and drops the old stream", async () => {
    const old = new Wire();
    const fresh = new Wire();
    const h = harness([sse(old), sse(fresh)]);
    h.stream.start(1);
    await until(() => h.stream.status.state === "connected", "connected");
    h.stream.start(100);
    await until(() => h.calls.length === 2 && h.stream.status.state === "connected", "the new stream");
    expect(h.calls[0]!.signal.aborted).toBe(true);
    expect(h.calls[1]!.url).toBe("/api/changes?since=100");
    expect(h.calls[1]!.headers["Last-Event-ID"]).toBeUndefined();
    fresh.change(101);
    await until(() => h.items.length === 1, "an item");
    expect(seqs(h.items)).toEqual([101]);
  });

  it("can be started again from inside onResync (the reload answered at once)", async () => {
    const wire = new Wire();
    const next = new Wire();
    let stream!: ChangeStream;
    const h = harness([sse(wire), sse(next)], { onResync: () => stream.start(50) });
    stream = h.stream;
    stream.start(1);
    await until(() => stream.status.state === "connected", "connected");
    wire.send("event: resync\ndata: {}\n\n");
    await until(() => h.calls.length === 2 && stream.status.state === "connected", "the second stream");
    expect(stream.running).toBe(true);
    expect(h.calls[1]!.url).toBe("/api/changes?since=50");
    next.change(51);
    await until(() => h.items.length === 1, "an item");
  });
});
