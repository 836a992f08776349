import { IntegrityError } from "../errors/errors.ts";
import type { SqlExec } from "./sql-database.ts";
import { STATE_TABLE } from "./sql-schema.ts";

/** Reads one value of the shared state table; `null` when unset. */
export function readState(sql: SqlExec, key: string): string | null {
  const rows = sql.exec<{ value: string }>(`SELECT value FROM ${STATE_TABLE} WHERE key = ?`, key).toArray();
  return rows[0]?.value ?? null;
}

export function writeState(sql: SqlExec, key: string, value: string): void {
  sql.exec(
    `INSERT INTO ${STATE_TABLE} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    key,
    value,
  );
}

export function deleteState(sql: SqlExec, key: string): void {
  sql.exec(`DELETE FROM ${STATE_TABLE} WHERE key = ?`, key);
}

/** The live table set; `null` before the store was first initialised. */
export function liveSet(sql: SqlExec): 0 | 1 | null {
  const value = readState(sql, "live");
  if (value === null) return null;
  if (value !== "0" && value !== "1")
    throw new IntegrityError("integrity_error", `graph_state.live is ${value}`);
  return value === "0" ? 0 : 1;
}

export function readSeq(sql: SqlExec): number {
  const value = readState(sql, "seq");
  const seq = value === null ? 0 : Number(value);
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new IntegrityError("integrity_error", `graph_state.seq is ${value}`);
  return seq;
}
