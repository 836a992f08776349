import type { SqlCursor, SqlDatabase, SqlExec, SqlRow, SqlValue } from "@dawsos/core/sqlite-store";
import Database from "better-sqlite3";

/**
 * A Durable Object's `ctx.storage` (SQLite backend) on Node, over better-sqlite3, for running
 * the SQLite store's tests on a real SQLite engine: `sql.exec` with the same value types
 * (BLOBs as `ArrayBuffer`, never `Buffer`), a cursor with `toArray`/`one`/iteration and
 * `rowsRead`/`rowsWritten`, `transactionSync` that commits on return and rolls back on throw,
 * and no `BEGIN`/`COMMIT` statements (the Durable Object API refuses them too).
 *
 * `failOn` injects a fault: when it returns true for a statement, that statement throws.
 */
export class BetterSqliteDatabase implements SqlDatabase {
  readonly db: Database.Database;
  readonly sql: SqlExec;
  /** Statements executed, for tests that count them. */
  statements = 0;
  failOn: ((query: string, n: number) => boolean) | null = null;
  #depth = 0;

  constructor(filename = ":memory:") {
    this.db = new Database(filename);
    this.sql = { exec: (query, ...bindings) => this.#exec(query, bindings) };
  }

  #exec<T extends SqlRow>(query: string, bindings: SqlValue[]): SqlCursor<T> {
    if (/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(query)) {
      throw new Error("use transactionSync() instead of transaction statements");
    }
    this.statements++;
    if (this.failOn?.(query, this.statements))
      throw new Error(`injected failure at statement ${this.statements}`);
    const statement = this.db.prepare(query);
    const args = bindings.map(toDriver);
    let rows: T[] = [];
    let written = 0;
    if (statement.reader) {
      rows = (statement.all(...args) as Record<string, unknown>[]).map((row) => fromDriver(row) as T);
      // RETURNING statements write too.
      written = /^\s*(INSERT|UPDATE|DELETE)\b/i.test(query) ? rows.length : 0;
    } else {
      written = statement.run(...args).changes;
    }
    return new ArrayCursor(rows, rows.length, written);
  }

  transactionSync<T>(fn: () => T): T {
    // Nested calls join the outer transaction, as in a Durable Object.
    if (this.#depth > 0) return fn();
    this.#depth++;
    try {
      return this.db.transaction(fn)();
    } finally {
      this.#depth--;
    }
  }

  close(): void {
    this.db.close();
  }
}

class ArrayCursor<T extends SqlRow> implements SqlCursor<T> {
  constructor(
    readonly rows: T[],
    readonly rowsRead: number,
    readonly rowsWritten: number,
  ) {}
  toArray(): T[] {
    return this.rows;
  }
  one(): T {
    if (this.rows.length !== 1) throw new Error(`expected exactly one row, got ${this.rows.length}`);
    return this.rows[0]!;
  }
  [Symbol.iterator](): Iterator<T> {
    return this.rows[Symbol.iterator]();
  }
}

function toDriver(value: SqlValue): unknown {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value;
}

function fromDriver(row: Record<string, unknown>): SqlRow {
  const out: SqlRow = {};
  for (const [key, value] of Object.entries(row)) {
    if (Buffer.isBuffer(value)) {
      out[key] = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
    } else if (typeof value === "bigint") {
      out[key] = Number(value);
    } else {
      out[key] = value as SqlValue;
    }
  }
  return out;
}
