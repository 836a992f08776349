import type { Influence } from "../graph/knowledge-graph.ts";
import { compareIds } from "../graph/knowledge-graph.ts";
import type { TraversalSource } from "../graph/traversal.ts";
import { type GraphEdge, type GraphNode, type JsonObject, nullProto, type Pattern } from "../graph/types.ts";
import {
  type EdgeListQuery,
  type NodeListQuery,
  nodeMatchesQuery,
  type Page,
  pageLimit,
} from "../store/graph-reader.ts";
import type { SqlExec, SqlValue } from "./sql-database.ts";
import { fromKey, toKey } from "./sql-keys.ts";
import { parameterChunks } from "./sql-limits.ts";
import { parseBody } from "./sql-rows.ts";
import type { GraphTables } from "./sql-schema.ts";

/** Rows per statement when paging through a whole table (document export, `q` scans). */
export const PAGE_ROWS = 500;

type BodyRow = { body: string };

/**
 * Synchronous reads of one table set, each through an index: what the store's `GraphReader`
 * methods, its transactions and its document export are built from.
 */
export class SqlGraphReads {
  constructor(
    readonly sql: SqlExec,
    readonly t: GraphTables,
  ) {}

  node(id: string): GraphNode | undefined {
    const row = this.sql
      .exec<BodyRow>(`SELECT body FROM ${this.t.nodes} WHERE id = ?`, toKey(id))
      .toArray()[0];
    return row ? parseBody<GraphNode>(row.body, this.t.nodes) : undefined;
  }

  /** The nodes among `ids` that exist, keyed by id (chunked under the bound-parameter limit). */
  nodes(ids: readonly string[]): Map<string, GraphNode> {
    const found = new Map<string, GraphNode>();
    for (const chunk of parameterChunks([...new Set(ids)])) {
      const rows = this.sql
        .exec<BodyRow>(
          `SELECT body FROM ${this.t.nodes} WHERE id IN (${chunk.map(() => "?").join(", ")})`,
          ...chunk.map(toKey),
        )
        .toArray();
      for (const row of rows) {
        const node = parseBody<GraphNode>(row.body, this.t.nodes);
        found.set(node.id, node);
      }
    }
    return found;
  }

  edge(id: string): GraphEdge | undefined {
    const row = this.sql
      .exec<BodyRow>(`SELECT body FROM ${this.t.edges} WHERE id = ?`, toKey(id))
      .toArray()[0];
    return row ? parseBody<GraphEdge>(row.body, this.t.edges) : undefined;
  }

  pattern(id: string): Pattern | undefined {
    const row = this.sql
      .exec<BodyRow>(`SELECT body FROM ${this.t.patterns} WHERE id = ?`, toKey(id))
      .toArray()[0];
    return row ? parseBody<Pattern>(row.body, this.t.patterns) : undefined;
  }

  /** Edges leaving `id`, in insertion order (as `KnowledgeGraph.outEdges`). */
  outEdges(id: string): GraphEdge[] {
    return this.#edgeBodies(`SELECT body FROM ${this.t.edges} WHERE src = ? ORDER BY ord`, toKey(id));
  }

  /** Edges arriving at `id`, in insertion order (as `KnowledgeGraph.inEdges`). */
  inEdges(id: string): GraphEdge[] {
    return this.#edgeBodies(`SELECT body FROM ${this.t.edges} WHERE dst = ? ORDER BY ord`, toKey(id));
  }

  #edgeBodies(query: string, ...bindings: SqlValue[]): GraphEdge[] {
    return this.sql
      .exec<BodyRow>(query, ...bindings)
      .toArray()
      .map((row) => parseBody<GraphEdge>(row.body, this.t.edges));
  }

  /**
   * Incoming edges, strongest first; equal strengths by `from` (code-unit order), then in
   * insertion order: the order of `KnowledgeGraph.influences`' stable sort.
   */
  influences(id: string): Influence[] {
    return this.sql
      .exec<{ id: ArrayBuffer; src: ArrayBuffer; type: ArrayBuffer; strength: number }>(
        `SELECT id, src, type, strength FROM ${this.t.edges} WHERE dst = ? ORDER BY strength DESC, src, ord`,
        toKey(id),
      )
      .toArray()
      .map((row) => ({
        id: fromKey(row.id),
        from: fromKey(row.src),
        type: fromKey(row.type),
        strength: row.strength,
      }));
  }

  /** Patterns in insertion order. */
  patterns(type?: string): Array<[string, Pattern]> {
    const rows =
      type === undefined
        ? this.sql.exec<{ id: ArrayBuffer; body: string }>(
            `SELECT id, body FROM ${this.t.patterns} ORDER BY ord`,
          )
        : this.sql.exec<{ id: ArrayBuffer; body: string }>(
            `SELECT id, body FROM ${this.t.patterns} WHERE type = ? ORDER BY ord`,
            toKey(type),
          );
    return rows.toArray().map((row) => [fromKey(row.id), parseBody<Pattern>(row.body, this.t.patterns)]);
  }

  count(table: "nodes" | "edges" | "patterns"): number {
    if (table === "patterns") {
      return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.t.patterns}`).one().n;
    }
    return (
      this.sql
        .exec<{ n: number | null }>(
          `SELECT SUM(n) AS n FROM ${this.t.counts} WHERE kind = ?`,
          table === "nodes" ? "node" : "edge",
        )
        .one().n ?? 0
    );
  }

  /** Per-type counts in code-unit order of the type. */
  typeCounts(kind: "node" | "edge"): Record<string, number> {
    const out = nullProto<number>();
    const rows = this.sql
      .exec<{ type: ArrayBuffer; n: number }>(
        `SELECT type, n FROM ${this.t.counts} WHERE kind = ? AND n > 0 ORDER BY type`,
        kind,
      )
      .toArray();
    for (const row of rows) out[fromKey(row.type)] = row.n;
    return out;
  }

  /** The document's `metadata` (without the derived `stats`). */
  metadata(): JsonObject {
    const row = this.sql
      .exec<{ value: string }>(`SELECT value FROM ${this.t.doc} WHERE name = ?`, toKey(METADATA))
      .toArray()[0];
    const metadata = nullProto<unknown>();
    if (row) Object.assign(metadata, parseBody(row.value, this.t.doc));
    return metadata;
  }

  /** The document's unknown top-level members (e.g. the Python `forecasts`). */
  extras(): JsonObject {
    const extras = nullProto<unknown>();
    const rows = this.sql
      .exec<{ name: ArrayBuffer; value: string }>(
        `SELECT name, value FROM ${this.t.doc} WHERE name != ?`,
        toKey(METADATA),
      )
      .toArray();
    for (const row of rows) extras[fromKey(row.name)] = parseBody<unknown>(row.value, this.t.doc);
    return extras;
  }

  /** Every node in id order, a page of rows per statement (never the whole table at once). */
  *nodesInIdOrder(): Generator<GraphNode> {
    yield* this.#pages(this.t.nodes, (row) => parseBody<GraphNode>(row.body, this.t.nodes));
  }

  *edgesInIdOrder(): Generator<GraphEdge> {
    yield* this.#pages(this.t.edges, (row) => parseBody<GraphEdge>(row.body, this.t.edges));
  }

  *patternsInIdOrder(): Generator<[string, Pattern]> {
    yield* this.#pages(this.t.patterns, (row) => [
      fromKey(row.id),
      parseBody<Pattern>(row.body, this.t.patterns),
    ]);
  }

  /**
   * Keyset paging by id: each page is one short statement run to completion, so no cursor stays
   * open while the consumer is elsewhere (a Durable Object may run other requests meanwhile).
   */
  *#pages<T>(table: string, map: (row: { id: ArrayBuffer; body: string }) => T): Generator<T> {
    let after: ArrayBuffer | null = null;
    for (;;) {
      const rows: Array<{ id: ArrayBuffer; body: string }> = (
        after === null
          ? this.sql.exec<{ id: ArrayBuffer; body: string }>(
              `SELECT id, body FROM ${table} ORDER BY id LIMIT ${PAGE_ROWS}`,
            )
          : this.sql.exec<{ id: ArrayBuffer; body: string }>(
              `SELECT id, body FROM ${table} WHERE id > ? ORDER BY id LIMIT ${PAGE_ROWS}`,
              after,
            )
      ).toArray();
      for (const row of rows) yield map(row);
      if (rows.length < PAGE_ROWS) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /** `GET /api/nodes`: by type through its index, `q` through the search key, keyset by id. */
  listNodes(query: NodeListQuery): Page<GraphNode> {
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const bindings: SqlValue[] = [];
    if (query.type !== undefined) {
      where.push("type = ?");
      bindings.push(toKey(query.type));
    }
    if (query.q !== undefined) {
      where.push("(search IS NULL OR instr(search, ?) > 0)");
      bindings.push(toKey(query.q.toLowerCase()));
    }
    const q = query.q;
    return this.#keyset(this.t.nodes, where, bindings, query.cursor, limit, (body) => {
      const node = parseBody<GraphNode>(body, this.t.nodes);
      return q === undefined || nodeMatchesQuery(node, q) ? node : undefined;
    });
  }

  /** `GET /api/edges`: by `from` or `to` through their indexes, keyset by id. */
  listEdges(query: EdgeListQuery): Page<GraphEdge> {
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const bindings: SqlValue[] = [];
    for (const [column, value] of [
      ["src", query.from],
      ["dst", query.to],
      ["type", query.type],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      bindings.push(toKey(value));
    }
    return this.#keyset(this.t.edges, where, bindings, query.cursor, limit, (body) =>
      parseBody<GraphEdge>(body, this.t.edges),
    );
  }

  /**
   * One keyset page: rows after `cursor` in id order matching `where`, then `accept` (an exact
   * check behind a superset filter). `nextCursor` is set only when another accepted row follows,
   * as the API's pagination does.
   */
  #keyset<T>(
    table: string,
    where: readonly string[],
    bindings: readonly SqlValue[],
    cursor: string | undefined,
    limit: number,
    accept: (body: string) => T | undefined,
  ): Page<T> {
    const items: T[] = [];
    let last: string | null = cursor ?? null;
    let lastItem: string | null = null;
    const batch = Math.min(Math.max(limit + 1, 64), PAGE_ROWS);
    for (;;) {
      const conditions = last === null ? [...where] : [...where, "id > ?"];
      const args = last === null ? [...bindings] : [...bindings, toKey(last)];
      const rows = this.sql
        .exec<{ id: ArrayBuffer; body: string }>(
          `SELECT id, body FROM ${table}${conditions.length ? ` WHERE ${conditions.join(" AND ")}` : ""} ORDER BY id LIMIT ${batch}`,
          ...args,
        )
        .toArray();
      for (const row of rows) {
        const item = accept(row.body);
        if (item === undefined) continue;
        if (items.length === limit) return { items, nextCursor: lastItem };
        items.push(item);
        lastItem = fromKey(row.id);
      }
      if (rows.length < batch) return { items, nextCursor: null };
      last = fromKey(rows[rows.length - 1]!.id);
    }
  }
}

/** The name of the `metadata` row in a set's `doc` table (never an extra's name: it is a member). */
export const METADATA = "metadata";

/**
 * A `TraversalSource` over SQL for one traversal: every lookup is one indexed statement, made
 * at most once per node, so `neighbors` and `paths` of `traversal.ts` run unchanged — a bounded
 * breadth-first (or best-first) search with per-step SQL.
 */
export class SqlTraversal implements TraversalSource {
  readonly #reads: SqlGraphReads;
  readonly #nodes = new Map<string, GraphNode | undefined>();
  readonly #out = new Map<string, GraphEdge[]>();
  readonly #in = new Map<string, GraphEdge[]>();

  constructor(reads: SqlGraphReads) {
    this.#reads = reads;
  }

  getNode(id: string): GraphNode | undefined {
    if (!this.#nodes.has(id)) this.#nodes.set(id, this.#reads.node(id));
    return this.#nodes.get(id);
  }

  outEdges(id: string): GraphEdge[] {
    let edges = this.#out.get(id);
    if (!edges) {
      edges = this.#reads.outEdges(id);
      this.#out.set(id, edges);
    }
    return edges;
  }

  inEdges(id: string): GraphEdge[] {
    let edges = this.#in.get(id);
    if (!edges) {
      edges = this.#reads.inEdges(id);
      this.#in.set(id, edges);
    }
    return edges;
  }
}

/** Nodes named by `ids` that exist, in code-unit order of their ids. */
export function existingNodesById(reads: SqlGraphReads, ids: Iterable<string>): GraphNode[] {
  const sorted = [...new Set(ids)].sort(compareIds);
  const found = reads.nodes(sorted);
  return sorted.map((id) => found.get(id)).filter((n): n is GraphNode => n !== undefined);
}
