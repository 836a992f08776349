import { ChangeSockets } from "./change-sockets.ts";
import type { DurableObjectStateLike, FeedSocket, WorkerEnv } from "./env.ts";
import { createObjectServices, type ObjectServices, type ObjectStoreOptions } from "./object-services.ts";
import { pointInTimeRoutes } from "./point-in-time.ts";

/** The daily version (and the retention it applies) runs this often. */
export const VERSION_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * `GraphObject`: the Durable Object (SQLite storage backend, `new_sqlite_classes` migration in
 * wrangler.jsonc) that holds one graph (`idFromName`) in SQLite tables, with its workflow history
 * and sessions in the same database and its versions and backups in R2 under
 * `graph-object/<object id>/`. It serves the whole HTTP API (`createApp`) to the Worker, which
 * forwards every API request here with `stub.fetch`.
 *
 * A Durable Object runs one request's synchronous work at a time and every mutation is one
 * `transactionSync`, so concurrent writers queue instead of conflicting (409 only for a real
 * `If-Match` failure). Nothing is loaded up front: a cold object answers its first request
 * from the tables' indexes, whatever the size of the graph.
 *
 * An alarm makes a version every day (`VERSION_INTERVAL_MS`); saving applies version retention,
 * and the alarm applies session retention too (a create applies it as well) and change-feed
 * retention in full (each commit trims only a few records).
 */
export class GraphObject {
  readonly #state: DurableObjectStateLike;
  readonly #env: WorkerEnv;
  #services: Promise<ObjectServices> | null = null;

  constructor(state: DurableObjectStateLike, env: WorkerEnv) {
    this.#state = state;
    this.#env = env;
  }

  /**
   * The object's services, opened on first use (the tables created and seeded when new, the
   * daily alarm scheduled). `options` only matter to the first call (tests pass a small seed).
   */
  services(
    options: ObjectStoreOptions = {},
    open: { migrateFromR2?: boolean } = {},
  ): Promise<ObjectServices> {
    if (!this.#services) {
      // blockConcurrencyWhile: no other request reaches the object while it opens.
      const opened = this.#state.blockConcurrencyWhile(async () => {
        const services = await createObjectServices(this.#state, this.#env, options, open);
        pointInTimeRoutes(services.app, this.#state);
        if ((await this.#state.storage.getAlarm()) === null) {
          await this.#state.storage.setAlarm(Date.now() + VERSION_INTERVAL_MS);
        }
        return services;
      });
      opened.catch(() => {
        this.#services = null;
      });
      this.#services = opened;
    }
    return this.#services;
  }

  /** The object's graph store (see `services`). */
  async store(options: ObjectStoreOptions = {}) {
    return (await this.services(options)).store;
  }

  /**
   * A request from the Worker. The Worker forwards only to the object of the graph it serves
   * (`GRAPH_NAME`), so an object first opened here is that graph's: when its tables are new, it
   * takes over what the Worker kept in R2 before the object existed (`migrateFromBucket`).
   */
  async fetch(request: Request): Promise<Response> {
    const services = await this.services({}, { migrateFromR2: true });
    if (ChangeSockets.isUpgrade(request)) return services.sockets.open(request);
    const response = await services.app.fetch(request);
    // A body the app refused unread (415, 401…) is drained (the gateway bounded its size):
    // left unread, the stream from the Worker errors and workerd reports the Worker as
    // "restarted mid-request" (503) instead of this answer.
    if (request.body && !request.bodyUsed) await request.arrayBuffer().catch(() => undefined);
    return response;
  }

  /** A change socket's client has nothing to say: the feed only flows to it. */
  webSocketMessage(_socket: FeedSocket, _message: string | ArrayBuffer): void {}

  /** A change socket's client closed it: complete the closing handshake. */
  webSocketClose(socket: FeedSocket, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // Already closed (a runtime that replies to the close itself).
    }
  }

  /**
   * The daily version, and session retention. A failure is logged and the next day's alarm is
   * still set.
   */
  async alarm(): Promise<void> {
    try {
      const services = await this.services();
      const { removed } = await services.sessions.sweep();
      // A commit trims a few change records at most, and nothing while no one writes.
      const trimmed = services.store.applyChangeRetention();
      const version = await services.store.saveVersion();
      console.log(
        JSON.stringify({
          event: "daily_version",
          id: version.id,
          size: version.size,
          sessions_removed: removed,
          changes_trimmed: trimmed,
        }),
      );
    } catch (error) {
      console.error(JSON.stringify({ event: "daily_version_failed", error: String(error) }));
    } finally {
      await this.#state.storage.setAlarm(Date.now() + VERSION_INTERVAL_MS);
    }
  }
}
