import { errorBody } from "@dawsos/api";
import type { DurableObjectStateLike } from "./env.ts";
import type { ObjectApp } from "./object-services.ts";

/**
 * `POST /api/admin/point-in-time-recovery` `{"at": "<ISO time>"}`: rewinds the whole object —
 * graph, history and sessions — to its state at that moment, with the SQLite backend's
 * point-in-time recovery (any moment of the last 30 days, per Cloudflare's documentation):
 * `getBookmarkForTime`, `onNextSessionRestoreBookmark`, then `abort()` so the next request
 * starts an instance on the restored database. The answer carries the bookmark to undo it
 * (a bookmark of *now*, restorable the same way).
 *
 * Local workerd and Miniflare do not implement these calls: there the route answers 501 and
 * changes nothing. It can only be exercised on Cloudflare (apps/worker/README.md).
 */
export function pointInTimeRoutes(app: ObjectApp, state: DurableObjectStateLike): void {
  app.post("/api/admin/point-in-time-recovery", async (c) => {
    const storage = state.storage;
    const body = c.get("jsonBody") as { at?: unknown } | undefined;
    const at = typeof body?.at === "string" ? Date.parse(body.at) : Number.NaN;
    if (!Number.isFinite(at) || at > Date.now()) {
      return c.json(errorBody("validation_error", 'give "at" as a past ISO 8601 time'), 400);
    }
    const unavailable = (why: string) => c.json(errorBody("not_implemented", why), 501);
    if (!storage.getBookmarkForTime || !storage.onNextSessionRestoreBookmark || !state.abort) {
      return unavailable("point-in-time recovery is not available in this runtime");
    }
    let undo: string;
    let bookmark: string;
    try {
      undo = await storage.getBookmarkForTime(Date.now());
      bookmark = await storage.getBookmarkForTime(at);
    } catch (error) {
      // Local workerd has the methods but no bookmark history behind them; on Cloudflare a time
      // older than the kept history (30 days) is refused the same way. Nothing was changed.
      console.error(JSON.stringify({ event: "pitr_unavailable", error: String(error) }));
      return unavailable(
        `no bookmark for that time (older than the kept history, or not available here): ${String(error)}`,
      );
    }
    await storage.onNextSessionRestoreBookmark(bookmark);
    // After the answer is on its way: the reset drops this instance and its in-memory state.
    setTimeout(() => state.abort?.("point-in-time recovery"), 0);
    return c.json({ restoring_to: new Date(at).toISOString(), bookmark, undo_bookmark: undo }, 202);
  });
}
