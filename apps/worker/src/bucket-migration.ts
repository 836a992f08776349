import { type StorageAdapter, systemClock } from "@dawsos/core";
import { readBucketGraph } from "@dawsos/core/bucket-store";
import {
  type SqlDatabase,
  SqliteGraphStore,
  type SqliteGraphStoreOptions,
  type SqlSessionStore,
  type SqlWorkflowHistory,
} from "@dawsos/core/sqlite-store";
import { BucketSource, damageOf } from "./bucket-source.ts";
import { type DamagedObject, MigrationMarker, type MigrationProgress } from "./migration-marker.ts";

/** The marker row of this migration (`migrations` table of the object's database). */
export const BUCKET_MIGRATION = "r2_bucket_v1";

/** Sessions read from R2 at a time: keeps a first start short (blockConcurrencyWhile allows 30 s). */
const SESSION_READS = 8;

export interface BucketMigrationOptions {
  /**
   * The layout the Worker kept in R2 before issue 12: the bucket's root, where it wrote with no
   * prefix (`new R2Storage(env.GRAPH_BUCKET)`). Only read, never written or deleted.
   */
  bucket: StorageAdapter;
  /** The object's database (`ctx.storage`). */
  db: SqlDatabase;
  /** How the object opens its store (archive, …); the migration supplies `initial`. */
  store: Omit<SqliteGraphStoreOptions, "initial">;
  history: SqlWorkflowHistory;
  sessions: SqlSessionStore;
  /** Where the one line about the migration goes. Default: `console.log` of its JSON. */
  log?: (entry: Record<string, unknown>) => void;
}

/** The line logged once the migration is done. */
export interface BucketMigrationReport {
  event: "migrated_from_r2";
  /** The graph brought over (`null`: the bucket had none and the object was seeded). */
  nodes: number | null;
  edges: number | null;
  patterns: number | null;
  seq: number | null;
  /** Journal objects replayed onto the bucket's snapshot. */
  records: number | null;
  history: number;
  sessions: number;
  /** Objects that could not be migrated (left in the bucket). */
  damaged: DamagedObject[];
}

/**
 * Opens the object's store, migrating the Worker's R2 state into its database on its first
 * start: the graph `BucketGraphStore` kept (head, snapshot, journal; read by `readBucketGraph`)
 * goes in through the store's `initial` hook instead of the seed, keeping its `seq`; every
 * workflow run, oldest first, into `history`; every session with its id, `created` and
 * messages into `sessions`. It logs one line (`BucketMigrationReport`).
 *
 * Once only, and resumable: a marker row (`MigrationMarker`) records the progress. It is
 * written before the graph import commits, the workflow runs are copied in the transaction
 * that records them, and sessions are copied by id (a stored id is skipped), so a start that
 * stops midway is finished by the next, and a later start does nothing. An object whose tables
 * existed before this migration ran is never merged with the bucket (marked `skipped`); an
 * empty bucket means a normal seeded start (marked `empty`).
 *
 * The R2 objects stay where they are: an operator deletes them (`graph/`,
 * `workflow_history.json`, `sessions/`) after checking the migrated object against them.
 */
export async function migrateFromBucket(
  options: BucketMigrationOptions,
): Promise<{ store: SqliteGraphStore; report: BucketMigrationReport | null }> {
  const { bucket, db, log = (entry) => console.log(JSON.stringify(entry)) } = options;
  const marker = new MigrationMarker(db, BUCKET_MIGRATION);
  const now = () => (options.store.clock ?? systemClock).now().toISOString();
  const before = marker.read();
  if (before && before.state !== "started") {
    return { store: await SqliteGraphStore.open(db, options.store), report: null };
  }
  const source = new BucketSource(bucket);
  let asked = false;
  const store = await SqliteGraphStore.open(db, {
    ...options.store,
    // Asked only while the graph tables are new.
    initial: async () => {
      asked = true;
      const found = await readBucketGraph(bucket, { hasher: options.store.hasher, now: now() });
      const history = await source.runs();
      const anything =
        found !== null ||
        history.runs.length + history.damaged.length > 0 ||
        (await source.sessionIds()).length > 0;
      if (!anything) {
        marker.write({ state: "empty", at: now() });
        return null;
      }
      const graph = found && {
        nodes: found.graph.nodeCount,
        edges: found.graph.edgeCount,
        patterns: found.graph.patternCount,
        seq: found.graph.seq,
        records: found.head.journal.length,
      };
      // Before the import commits: a next start then knows the live graph came from here.
      marker.write({ ...before, state: "started", at: now(), graph });
      return found?.graph ?? null;
    },
  });
  if (!before && !asked) {
    const reason = "the object's graph existed before the migration ran; the bucket was not read";
    marker.write({ state: "skipped", at: now(), reason });
    log({ event: "migration_from_r2_skipped", reason });
    return { store, report: null };
  }
  const progress = marker.read();
  if (progress?.state !== "started") return { store, report: null };
  const report = await copyState(options, marker, progress, source, now);
  log({ ...report });
  return { store, report };
}

/** The workflow runs (once: recorded in their own transaction), then the sessions not yet stored. */
async function copyState(
  options: BucketMigrationOptions,
  marker: MigrationMarker,
  started: MigrationProgress,
  source: BucketSource,
  now: () => string,
): Promise<BucketMigrationReport> {
  const { db, history, sessions } = options;
  let progress = started;
  const damaged = new Map<string, DamagedObject>((progress.damaged ?? []).map((d) => [d.key, d]));
  if (progress.history === undefined) {
    const found = await source.runs();
    for (const d of found.damaged) damaged.set(d.key, d);
    db.transactionSync(() => {
      progress = { ...progress, history: history.importRuns(found.runs), damaged: [...damaged.values()] };
      marker.write(progress);
    });
  }
  const ids = await source.sessionIds();
  const pending = ids.filter((id) => !sessions.has(id));
  for (let i = 0; i < pending.length; i += SESSION_READS) {
    const batch = await Promise.all(pending.slice(i, i + SESSION_READS).map((id) => source.session(id)));
    for (const session of batch) {
      if (session === null) continue;
      if (!("id" in session)) {
        damaged.set(session.key, session);
        continue;
      }
      try {
        sessions.importSession(session);
      } catch (err) {
        const d = damageOf(`sessions/${session.id}.json`, err);
        damaged.set(d.key, d);
      }
    }
  }
  const copied = ids.filter((id) => sessions.has(id)).length;
  const done: MigrationProgress = {
    ...progress,
    state: "done",
    at: now(),
    sessions: copied,
    damaged: [...damaged.values()],
  };
  marker.write(done);
  const graph = progress.graph ?? null;
  return {
    event: "migrated_from_r2",
    nodes: graph?.nodes ?? null,
    edges: graph?.edges ?? null,
    patterns: graph?.patterns ?? null,
    seq: graph?.seq ?? null,
    records: graph?.records ?? null,
    history: progress.history ?? 0,
    sessions: copied,
    damaged: done.damaged ?? [],
  };
}
