import type { GraphEdge, GraphNode, JsonObject, Pattern } from "../graph/types.ts";
import type { SqlExec, SqlValue } from "./sql-database.ts";
import { METADATA } from "./sql-graph-reads.ts";
import { fromKey, toKey } from "./sql-keys.ts";
import { assertRecordFits, forEachRowChunk, valuesList } from "./sql-limits.ts";
import { edgeRow, nodeRow, patternRow } from "./sql-rows.ts";
import type { GraphTables } from "./sql-schema.ts";

/** Per-type count changes of one transaction, written once at its end. */
export class CountDeltas {
  readonly #deltas = new Map<string, number>();

  add(kind: "node" | "edge", type: string, delta: number): void {
    const key = `${kind}\u0000${type}`;
    this.#deltas.set(key, (this.#deltas.get(key) ?? 0) + delta);
  }

  write(sql: SqlExec, t: GraphTables): void {
    for (const [key, delta] of this.#deltas) {
      if (delta === 0) continue;
      const split = key.indexOf("\u0000");
      const kind = key.slice(0, split);
      const type = toKey(key.slice(split + 1));
      sql.exec(
        `INSERT INTO ${t.counts} (kind, type, n) VALUES (?, ?, ?) ON CONFLICT (kind, type) DO UPDATE SET n = n + excluded.n`,
        kind,
        type,
        delta,
      );
      sql.exec(`DELETE FROM ${t.counts} WHERE kind = ? AND type = ? AND n <= 0`, kind, type);
    }
    this.#deltas.clear();
  }
}

/** Row-level writes to one table set. Every record is size-checked as its row is built. */
export class SqlGraphWrites {
  constructor(
    readonly sql: SqlExec,
    readonly t: GraphTables,
    readonly counts: CountDeltas = new CountDeltas(),
  ) {}

  /** Inserts or replaces a node; `previous` is the stored one (for the type counts). */
  putNode(node: GraphNode, previous: GraphNode | undefined): void {
    const row = nodeRow(node);
    this.sql.exec(
      `INSERT INTO ${this.t.nodes} (id, type, search, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type, search = excluded.search, body = excluded.body`,
      ...row,
    );
    if (previous) this.counts.add("node", previous.type, -1);
    this.counts.add("node", node.type, 1);
  }

  deleteNode(node: GraphNode): void {
    this.sql.exec(`DELETE FROM ${this.t.nodes} WHERE id = ?`, toKey(node.id));
    this.counts.add("node", node.type, -1);
  }

  insertEdge(edge: GraphEdge): void {
    this.sql.exec(
      `INSERT INTO ${this.t.edges} (id, src, dst, type, strength, body) VALUES (?, ?, ?, ?, ?, ?)`,
      ...edgeRow(edge),
    );
    this.counts.add("edge", edge.type, 1);
  }

  deleteEdge(id: string): void {
    this.#countDeleted(
      this.sql.exec<{ type: ArrayBuffer }>(
        `DELETE FROM ${this.t.edges} WHERE id = ? RETURNING type`,
        toKey(id),
      ),
    );
  }

  /** Deletes every edge into or out of `nodeId` (a node's edges go with it). */
  deleteEdgesOf(nodeId: string): void {
    const key = toKey(nodeId);
    this.#countDeleted(
      this.sql.exec<{ type: ArrayBuffer }>(
        `DELETE FROM ${this.t.edges} WHERE src = ? OR dst = ? RETURNING type`,
        key,
        key,
      ),
    );
  }

  #countDeleted(rows: Iterable<{ type: ArrayBuffer }>): void {
    for (const row of rows) this.counts.add("edge", fromKey(row.type), -1);
  }

  /** Inserts a new pattern at the end, or replaces one in place (it keeps its position). */
  putPattern(id: string, pattern: Pattern): void {
    this.sql.exec(
      `INSERT INTO ${this.t.patterns} (id, type, body) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type, body = excluded.body`,
      ...patternRow(id, pattern),
    );
  }

  deletePattern(id: string): void {
    this.sql.exec(`DELETE FROM ${this.t.patterns} WHERE id = ?`, toKey(id));
  }

  /** The document's `metadata` (without `stats`, which is derived). */
  setMetadata(metadata: JsonObject): void {
    const { stats: _derived, ...kept } = metadata;
    this.#setDoc(METADATA, kept);
  }

  /** One unknown top-level document member. */
  setExtra(name: string, value: unknown): void {
    this.#setDoc(name, value);
  }

  #setDoc(name: string, value: unknown): void {
    const json = JSON.stringify(value);
    assertRecordFits(json, `document member ${JSON.stringify(name)}`);
    this.sql.exec(
      `INSERT INTO ${this.t.doc} (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      toKey(name),
      json,
    );
  }

  // ---------------------------------------------------------------- bulk (imports)

  /**
   * New nodes in as few statements as the 100-bound-parameter limit allows. A duplicate id
   * violates the primary key and fails the statement (the caller's transaction rolls back).
   */
  insertNodes(nodes: readonly GraphNode[]): void {
    const rows = nodes.map(nodeRow);
    forEachRowChunk(rows, 4, (count, bindings) =>
      this.sql.exec(
        `INSERT INTO ${this.t.nodes} (id, type, search, body) VALUES ${valuesList(count, 4)}`,
        ...bindings,
      ),
    );
    for (const node of nodes) this.counts.add("node", node.type, 1);
  }

  /** New edges, in the given order (which becomes their adjacency order). */
  insertEdges(edges: readonly GraphEdge[]): void {
    const rows = edges.map(edgeRow);
    forEachRowChunk(rows, 6, (count, bindings) =>
      this.sql.exec(
        `INSERT INTO ${this.t.edges} (id, src, dst, type, strength, body) VALUES ${valuesList(count, 6)}`,
        ...bindings,
      ),
    );
    for (const edge of edges) this.counts.add("edge", edge.type, 1);
  }

  insertPatterns(patterns: ReadonlyArray<readonly [string, Pattern]>): void {
    const rows: SqlValue[][] = patterns.map(([id, p]) => patternRow(id, p));
    forEachRowChunk(rows, 3, (count, bindings) =>
      this.sql.exec(
        `INSERT INTO ${this.t.patterns} (id, type, body) VALUES ${valuesList(count, 3)}`,
        ...bindings,
      ),
    );
  }
}
