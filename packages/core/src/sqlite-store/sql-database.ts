/**
 * The SQL surface the SQLite store needs, shaped exactly like a Durable Object's
 * `ctx.storage` (SQLite backend), so `ctx.storage` is passed as it is; tests on Node pass an
 * adapter over better-sqlite3 that behaves the same way.
 *
 * - `sql.exec(query, ...bindings)` runs one statement (no `BEGIN`/`COMMIT`: the Durable Object
 *   API refuses them) and returns a cursor over its rows.
 * - `transactionSync(fn)` runs `fn` as one transaction: committed when it returns, rolled back
 *   when it throws. Everything inside is synchronous, so no other request of the object can
 *   interleave with it.
 */
export type SqlValue = ArrayBuffer | string | number | null;

export type SqlRow = Record<string, SqlValue>;

export interface SqlCursor<T extends SqlRow> extends Iterable<T> {
  toArray(): T[];
  /** The only row; throws unless there is exactly one. */
  one(): T;
  readonly rowsRead: number;
  readonly rowsWritten: number;
}

export interface SqlExec {
  exec<T extends SqlRow>(query: string, ...bindings: SqlValue[]): SqlCursor<T>;
}

export interface SqlDatabase {
  readonly sql: SqlExec;
  transactionSync<T>(fn: () => T): T;
}
