import type { SqlDatabase } from "@dawsos/core/sqlite-store";

/** A source object that could not be migrated, and why (an error code). */
export interface DamagedObject {
  key: string;
  code: string;
}

/** What the graph import of a migration brought in (recorded before the import commits). */
export interface MigratedGraph {
  nodes: number;
  edges: number;
  patterns: number;
  seq: number;
  /** Journal objects replayed onto the snapshot. */
  records: number;
}

/**
 * Where a one-time migration stands, one row per migration:
 *
 * - `started`: the source holds something and the copy is under way. `graph` is what the graph
 *   import brought (`null`: the source had no graph, the tables were seeded); `history` is set
 *   in the very transaction that copied the workflow runs, so they are never copied twice.
 * - `done`: everything was copied; later starts do nothing.
 * - `empty`: there was nothing to copy; the tables were seeded as for any new object.
 * - `skipped`: the object's tables existed before the migration ever ran (an object made by a
 *   version without it): its live graph is never merged with the source.
 */
export interface MigrationProgress {
  state: "started" | "done" | "empty" | "skipped";
  /** When this state was written (ISO 8601). */
  at: string;
  graph?: MigratedGraph | null;
  history?: number;
  sessions?: number;
  /** Source objects that could not be read or stored (left in the source for an operator). */
  damaged?: DamagedObject[];
  reason?: string;
}

const TABLE = "migrations";

/** A migration's row in the object's database (`migrations`: name → progress JSON). */
export class MigrationMarker {
  readonly #db: SqlDatabase;
  readonly #name: string;

  constructor(db: SqlDatabase, name: string) {
    this.#db = db;
    this.#name = name;
    db.transactionSync(() => {
      db.sql.exec(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (name TEXT PRIMARY KEY NOT NULL, progress TEXT NOT NULL)`,
      );
    });
  }

  read(): MigrationProgress | null {
    const row = this.#db.sql
      .exec<{ progress: string }>(`SELECT progress FROM ${TABLE} WHERE name = ?`, this.#name)
      .toArray()[0];
    return row ? (JSON.parse(row.progress) as MigrationProgress) : null;
  }

  /** Replaces the row (inside the caller's `transactionSync` when there is one). */
  write(progress: MigrationProgress): void {
    this.#db.transactionSync(() => {
      this.#db.sql.exec(
        `INSERT INTO ${TABLE} (name, progress) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET progress = excluded.progress`,
        this.#name,
        JSON.stringify(progress),
      );
    });
  }
}
