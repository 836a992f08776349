import type { ChangeRecord } from "../changes/change-record.ts";
import { nodesTouched } from "../changes/change-record.ts";
import type { ChangeRetention } from "../changes/change-retention.ts";
import type { ChangeSource } from "../changes/change-source.ts";
import type { SqlExec } from "./sql-database.ts";
import { toKey } from "./sql-keys.ts";
import { MAX_RECORD_BYTES, utf8Length } from "./sql-limits.ts";
import { CHANGES_TABLE as CHANGES, CHANGE_NODES_TABLE as NODES } from "./sql-schema.ts";
import { readSeq } from "./sql-state.ts";

/*
 * The change feed's table (`changes`, one row per committed record) and its node index
 * (`change_nodes`). Invariant: the retained records continue each other without a gap (each
 * one's `from_seq` is the `seq` before it) up to the graph's `seq`, so the feed is complete
 * after its *floor*: the oldest record's `from_seq`, or the graph's `seq` when none is
 * retained. Every write that moves `seq` either appends its record here in its own transaction
 * or empties the table (history restarts at the new `seq`); nothing else is stored.
 */

/** Records trimmed per commit at most: a commit's extra work stays bounded (the alarm trims the rest). */
export const TRIM_PER_COMMIT = 8;

interface ChangeRow extends Record<string, string | number | null> {
  seq: number;
  from_seq: number;
  at: string;
  source: string | null;
  actor: string | null;
  changes: string;
  replaced: string | null;
}

/**
 * Stores `record` (call inside the commit's `transactionSync`: a rolled-back write leaves no
 * record), then trims by `retention`, at most `TRIM_PER_COMMIT` records.
 *
 * A record whose JSON would not fit in one row (2 MB per row in a Durable Object; a commit of
 * that size is far past the API's 1 MiB body limit) is not stored: history restarts after it,
 * so a client behind it gets 410 `gone` and reloads, instead of a feed with a hole.
 */
export function appendChange(
  sql: SqlExec,
  record: ChangeRecord,
  retention: ChangeRetention,
  nowMs: number,
): void {
  const changes = JSON.stringify(record.changes);
  if (changes.length * 3 > MAX_RECORD_BYTES && utf8Length(changes) > MAX_RECORD_BYTES) {
    clearChanges(sql);
    return;
  }
  const newest = sql
    .exec<{ seq: number; n: number }>(`SELECT seq, n FROM ${CHANGES} ORDER BY seq DESC LIMIT 1`)
    .toArray()[0];
  // A record that does not continue the newest one: history restarts at its `from`.
  if (newest && newest.seq !== record.from) clearChanges(sql);
  const n = newest && newest.seq === record.from ? newest.n + 1 : 1;
  sql.exec(
    `INSERT INTO ${CHANGES} (seq, n, from_seq, at, source, actor, changes, replaced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    record.seq,
    n,
    record.from,
    record.at,
    record.source,
    record.actor ?? null,
    changes,
    record.replaced ? JSON.stringify(record.replaced) : null,
  );
  const ids = new Set<string>();
  for (const change of record.changes) for (const id of nodesTouched(change)) ids.add(id);
  for (const id of ids) sql.exec(`INSERT INTO ${NODES} (seq, node) VALUES (?, ?)`, record.seq, toKey(id));
  trimOldest(sql, retention, nowMs, TRIM_PER_COMMIT, n);
}

/**
 * Drops the oldest records while there are more than `retention.maxRecords` or the oldest is
 * older than `retention.maxAgeMs` (as `ChangeLog` does), at most `limit`. Returns how many.
 */
export function trimChanges(sql: SqlExec, retention: ChangeRetention, nowMs: number, limit: number): number {
  const newest = sql.exec<{ n: number }>(`SELECT n FROM ${CHANGES} ORDER BY seq DESC LIMIT 1`).toArray()[0];
  return newest ? trimOldest(sql, retention, nowMs, limit, newest.n) : 0;
}

/** `trimChanges`, knowing the newest record's `n`. */
function trimOldest(
  sql: SqlExec,
  retention: ChangeRetention,
  nowMs: number,
  limit: number,
  newest: number,
): number {
  const oldest = sql
    .exec<{ seq: number; n: number; at: string }>(
      `SELECT seq, n, at FROM ${CHANGES} ORDER BY seq LIMIT ?`,
      limit,
    )
    .toArray();
  const cutoff = nowMs - retention.maxAgeMs;
  let drop = 0;
  while (drop < oldest.length) {
    const row = oldest[drop]!;
    if (newest - row.n + 1 <= retention.maxRecords && !(Date.parse(row.at) < cutoff)) break;
    drop++;
  }
  if (drop > 0) {
    const upTo = oldest[drop - 1]!.seq;
    sql.exec(`DELETE FROM ${CHANGES} WHERE seq <= ?`, upTo);
    sql.exec(`DELETE FROM ${NODES} WHERE seq <= ?`, upTo);
  }
  return drop;
}

/** Forgets every record: history restarts at the graph's `seq`. */
export function clearChanges(sql: SqlExec): void {
  sql.exec(`DELETE FROM ${CHANGES}`);
  sql.exec(`DELETE FROM ${NODES}`);
}

/** The smallest `since` the feed answers: the oldest record's `from`, else the graph's `seq`. */
export function changesFloor(sql: SqlExec): number {
  const oldest = sql
    .exec<{ from_seq: number }>(`SELECT from_seq FROM ${CHANGES} ORDER BY seq LIMIT 1`)
    .toArray()[0];
  return oldest ? oldest.from_seq : readSeq(sql);
}

/**
 * Up to `max` records with `seq > after`, oldest first; `null` when one of them is no longer
 * retained (`after` is below the floor).
 */
export function changesAfter(sql: SqlExec, after: number, max: number): ChangeRecord[] | null {
  const rows = sql
    .exec<ChangeRow>(`SELECT * FROM ${CHANGES} WHERE seq > ? ORDER BY seq LIMIT ?`, after, max)
    .toArray();
  // Contiguous records: the first one after `after` starts at or before it, unless the ones
  // between were trimmed. None at all while the graph moved past `after`: trimmed too.
  if (rows.length > 0 ? rows[0]!.from_seq > after : after < readSeq(sql)) return null;
  return rows.map(recordOf);
}

/** How many retained records have `seq > after`. */
export function countChangesAfter(sql: SqlExec, after: number): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${CHANGES} WHERE seq > ?`, after).one().n;
}

/** The newest `max` records touching node `id`, newest first. */
export function changesOfNode(sql: SqlExec, id: string, max: number): ChangeRecord[] {
  return sql
    .exec<ChangeRow>(
      `SELECT c.* FROM ${NODES} x JOIN ${CHANGES} c ON c.seq = x.seq WHERE x.node = ? ORDER BY x.seq DESC LIMIT ?`,
      toKey(id),
      max,
    )
    .toArray()
    .map(recordOf);
}

function recordOf(row: ChangeRow): ChangeRecord {
  const record: ChangeRecord = {
    seq: row.seq,
    from: row.from_seq,
    at: row.at,
    source: row.source as ChangeSource | null,
    changes: JSON.parse(row.changes) as ChangeRecord["changes"],
  };
  if (row.actor !== null) record.actor = row.actor;
  if (row.replaced !== null) record.replaced = JSON.parse(row.replaced) as ChangeRecord["replaced"];
  return record;
}
