import { SqliteGraphStore, type SqliteGraphStoreOptions } from "@dawsos/core/sqlite-store";
import { R2Storage } from "@dawsos/storage-kv";
import type { DurableObjectStateLike, WorkerEnv } from "./env.ts";

/**
 * `GraphObject`: the Durable Object (SQLite storage backend, `new_sqlite_classes` migration in
 * wrangler.jsonc) that holds one graph in SQLite tables through `SqliteGraphStore`, with its
 * versions and backups in R2 under `graph-object/<object id>/`. One object per graph
 * (`idFromName`).
 *
 * The store is opened on first use: nothing is loaded up front, so a cold object answers its
 * first request without reading the graph. The HTTP routes are not served here yet (the API
 * still runs over `BucketGraphStore`); `fetch` says so.
 */
export class GraphObject {
  readonly #state: DurableObjectStateLike;
  readonly #env: WorkerEnv;
  #store: Promise<SqliteGraphStore> | null = null;

  constructor(state: DurableObjectStateLike, env: WorkerEnv) {
    this.#state = state;
    this.#env = env;
  }

  /** The object's graph store (opened, and seeded when its tables are new, on first call). */
  store(options: Partial<SqliteGraphStoreOptions> = {}): Promise<SqliteGraphStore> {
    if (!this.#store) {
      const archive = new R2Storage(this.#env.GRAPH_BUCKET, {
        prefix: `graph-object/${this.#state.id.toString()}/`,
      });
      // blockConcurrencyWhile: no other request reaches the object while the tables are created.
      const opened = this.#state.blockConcurrencyWhile(() =>
        SqliteGraphStore.open(this.#state.storage, { archive, ...options }),
      );
      opened.catch(() => {
        this.#store = null;
      });
      this.#store = opened;
    }
    return this.#store;
  }

  async fetch(_request: Request): Promise<Response> {
    return Response.json(
      {
        error: {
          code: "not_implemented",
          message: "GraphObject does not serve HTTP routes yet: the API runs over the R2 store",
        },
      },
      { status: 501 },
    );
  }
}
