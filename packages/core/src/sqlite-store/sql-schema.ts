import type { SqlExec } from "./sql-database.ts";

/**
 * The tables of one graph. There are two sets, `g0_*` and `g1_*`: one is live, the other is
 * where an import or a restore streams its rows in chunks (the shadow tables). Committing an
 * import flips which set is live in one small transaction, then empties the old one: the swap
 * costs the same for 10 nodes as for 100k, and a failure before it leaves the live graph as it
 * was.
 */
export interface GraphTables {
  readonly set: 0 | 1;
  /** id (key) PRIMARY KEY, type (key), search (key of lower-cased id/name/symbol), body (JSON). */
  readonly nodes: string;
  /** ord INTEGER PRIMARY KEY (insertion order), id UNIQUE, src, dst, type, strength, body. */
  readonly edges: string;
  /** ord INTEGER PRIMARY KEY (insertion order), id UNIQUE, type, body. */
  readonly patterns: string;
  /** (kind 'node'|'edge', type) → n: the per-type counts `stats()` reads without a scan. */
  readonly counts: string;
  /** name (key) → JSON: the document's `metadata` and its unknown top-level members. */
  readonly doc: string;
}

export function tablesOf(set: 0 | 1): GraphTables {
  return {
    set,
    nodes: `g${set}_nodes`,
    edges: `g${set}_edges`,
    patterns: `g${set}_patterns`,
    counts: `g${set}_counts`,
    doc: `g${set}_doc`,
  };
}

/** Shared by both sets: `live` (0|1), `seq`, `schema`, `import` (the open import session). */
export const STATE_TABLE = "graph_state";

/**
 * The change feed (shared by both sets: it outlives an import, which it records): one row per
 * committed record, `seq` its primary key, written in the commit's own transaction
 * (`sql-changes.ts`). `n` numbers the records (the count retention needs, without a scan).
 */
export const CHANGES_TABLE = "changes";
/** (seq, node): the nodes each record touches, indexed by node for `GET /api/nodes/:id/history`. */
export const CHANGE_NODES_TABLE = "change_nodes";

/**
 * Bumped when the layout changes. 2: the change feed tables. Every table is created with
 * `IF NOT EXISTS` on each open, so an object made before a table existed gets it (empty) then;
 * the feed of such an object starts at its current `seq`.
 */
export const SCHEMA_VERSION = 2;

function graphTableStatements(t: GraphTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${t.nodes} (id BLOB PRIMARY KEY NOT NULL, type BLOB NOT NULL, search BLOB, body TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${t.nodes}_by_type ON ${t.nodes} (type, id)`,
    // `ord` (the rowid) keeps insertion order: adjacency is listed in the order edges were
    // added, as in the in-memory graph, so traversals give the same results in the same order.
    `CREATE TABLE IF NOT EXISTS ${t.edges} (ord INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, src BLOB NOT NULL, dst BLOB NOT NULL, type BLOB NOT NULL, strength REAL NOT NULL, body TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${t.edges}_by_src ON ${t.edges} (src)`,
    `CREATE INDEX IF NOT EXISTS ${t.edges}_by_dst ON ${t.edges} (dst, strength)`,
    `CREATE TABLE IF NOT EXISTS ${t.patterns} (ord INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, type BLOB, body TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.counts} (kind TEXT NOT NULL, type BLOB NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, type))`,
    `CREATE TABLE IF NOT EXISTS ${t.doc} (name BLOB PRIMARY KEY NOT NULL, value TEXT NOT NULL)`,
  ];
}

/** Every table the store uses (idempotent): both graph sets and the shared state. */
export function createSchema(sql: SqlExec): void {
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`,
    ...graphTableStatements(tablesOf(0)),
    ...graphTableStatements(tablesOf(1)),
    `CREATE TABLE IF NOT EXISTS ${CHANGES_TABLE} (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, from_seq INTEGER NOT NULL, at TEXT NOT NULL, source TEXT, actor TEXT, changes TEXT NOT NULL, replaced TEXT)`,
    `CREATE TABLE IF NOT EXISTS ${CHANGE_NODES_TABLE} (seq INTEGER NOT NULL, node BLOB NOT NULL, PRIMARY KEY (seq, node)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${CHANGE_NODES_TABLE}_by_node ON ${CHANGE_NODES_TABLE} (node, seq)`,
    // The layout this database has now (for a future migration to start from).
    `INSERT INTO ${STATE_TABLE} (key, value) VALUES ('schema', '${SCHEMA_VERSION}') ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < ${SCHEMA_VERSION}`,
  ];
  for (const statement of statements) sql.exec(statement);
}

/** Empties one set (`DELETE` without `WHERE`: SQLite drops the pages instead of visiting rows). */
export function clearTables(sql: SqlExec, t: GraphTables): void {
  for (const table of [t.nodes, t.edges, t.patterns, t.counts, t.doc]) sql.exec(`DELETE FROM ${table}`);
}
