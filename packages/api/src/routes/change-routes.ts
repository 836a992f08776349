import {
  type ChangeFeed,
  type ChangeRecord,
  type ChangeSubscription,
  RateLimitedError,
  toItem,
  ValidationError,
} from "@dawsos/core";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { ApiEnv, FeedLimits } from "../deps.ts";
import { errorResponses, json } from "../openapi-helpers.ts";
import { AnyJson, NodeIdParam } from "../schemas.ts";

const DEFAULT_LIMITS: FeedLimits = {
  maxSubscribers: 100,
  heartbeatMs: 15_000,
  maxLag: 1000,
  resyncGraceMs: 30_000,
};

const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const ChangesQuery = z.object({
  since: seqParam.optional().openapi({ description: "return records with seq > since" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Records sent per wake-up of a stream before it yields to the next write. */
const STREAM_BATCH = 256;

/**
 * `GET /api/changes` (a JSON page, or an SSE stream with `Accept: text/event-stream`) and
 * `GET /api/nodes/:id/history` (SPEC section 5), over the store's change feed.
 */
export function changeRoutes(
  app: OpenAPIHono<ApiEnv>,
  feed: ChangeFeed,
  limits: Partial<FeedLimits> = {},
): void {
  const config: FeedLimits = { ...DEFAULT_LIMITS, ...limits };
  let open = 0;

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/changes",
      summary:
        "Acknowledged change records after `since`, in seq order; SSE with Accept: text/event-stream " +
        "(id: <seq>, resumable with Last-Event-ID); 410 gone {oldest} when since is past retention",
      request: { query: ChangesQuery },
      responses: {
        200: json(z.object({ items: z.array(AnyJson), next_since: z.number() }), "a page"),
        410: json(AnyJson, "gone: since is older than the retained changes"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { since, limit } = c.req.valid("query");
      if (!wantsEventStream(c)) return c.json(await feed.changesSince(since, limit), 200);
      const start = lastEventId(c) ?? since;
      if (open >= config.maxSubscribers) {
        throw new RateLimitedError("change feed", `at most ${config.maxSubscribers} change streams at once`, {
          retryAfterMs: 5_000,
        });
      }
      // Subscribed before the response starts: a `since` past retention is a plain 410.
      let stream: SSEStreamingApi | null = null;
      let grace: ReturnType<typeof setTimeout> | undefined;
      const sub = feed.subscribe(start, {
        maxLag: config.maxLag,
        // Writers never wait: a subscriber that fell behind may be stuck writing to a client
        // that reads nothing, so it gets a bounded time to take its `resync`, then is cut.
        onOverflow: () => {
          grace = setTimeout(() => stream?.abort(), config.resyncGraceMs);
        },
      });
      open++;
      return streamSSE(c, async (s) => {
        stream = s;
        s.onAbort(() => sub.close());
        try {
          await pump(s, sub, config.heartbeatMs);
        } finally {
          clearTimeout(grace);
          sub.close();
          open--;
        }
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/nodes/{id}/history",
      summary: "The retained changes touching the node, newest first (seq, at, source, actor, op)",
      request: { params: NodeIdParam, query: HistoryQuery },
      responses: { 200: json(z.array(AnyJson), "history entries, newest first"), ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit } = c.req.valid("query");
      return c.json(await feed.nodeHistory(id, limit), 200);
    },
  );
}

function wantsEventStream(c: Context): boolean {
  return (c.req.header("accept") ?? "").toLowerCase().includes("text/event-stream");
}

/** `Last-Event-ID` (what an EventSource sends on reconnect) takes precedence over `since`. */
function lastEventId(c: Context): number | undefined {
  const header = c.req.header("last-event-id");
  if (header === undefined || header.trim() === "") return undefined;
  const parsed = seqParam.safeParse(header.trim());
  if (!parsed.success || !/^\d+$/.test(header.trim()))
    throw new ValidationError("Last-Event-ID must be a seq (a whole number)");
  return parsed.data;
}

/**
 * Sends the subscription's records as they come: `id: <seq>`, `event: change`, the item as
 * data; a comment line as heartbeat once a whole `heartbeatMs` tick passed without an event
 * (so after 1–2 ticks of silence); `event: resync` (and the end of the stream) when the
 * subscriber fell behind. Ends when the client goes away or the feed closes its subscriptions.
 *
 * One interval timer per stream, not a timer per wait: a busy feed wakes every stream once
 * per commit, and arming and clearing a timeout at each wake-up was most of what 100 streams
 * cost the writers.
 */
async function pump(stream: SSEStreamingApi, sub: ChangeSubscription, heartbeatMs: number): Promise<void> {
  let sent = false;
  let heartbeatDue = false;
  let wakeForHeartbeat: (() => void) | null = null;
  const ticker = setInterval(() => {
    if (!sent) {
      heartbeatDue = true;
      wakeForHeartbeat?.();
    }
    sent = false;
  }, heartbeatMs);
  try {
    for (;;) {
      if (stream.aborted) return;
      const batch = sub.take(STREAM_BATCH);
      if (batch === "resync") {
        await stream.writeSSE({
          event: "resync",
          data: JSON.stringify({ reason: "this subscriber fell behind: reload the graph, then resubscribe" }),
        });
        return;
      }
      if (batch.length === 0) {
        if (sub.closed) return;
        if (heartbeatDue) {
          heartbeatDue = false;
          await stream.write(": heartbeat\n\n");
          continue;
        }
        await new Promise<void>((resolve) => {
          wakeForHeartbeat = resolve;
          sub.wait().then(resolve);
        });
        wakeForHeartbeat = null;
        continue;
      }
      sent = true;
      for (const record of batch) {
        // Behind already: what is left of this batch would only delay the `resync`.
        if (sub.overflowed || stream.aborted) break;
        await stream.writeSSE(event(record));
      }
    }
  } finally {
    clearInterval(ticker);
  }
}

function event(record: ChangeRecord) {
  return { id: String(record.seq), event: "change", data: JSON.stringify(toItem(record)) };
}
