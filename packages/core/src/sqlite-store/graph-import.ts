import {
  ConflictError,
  DawsosError,
  NotFoundError,
  UnknownNodeError,
  ValidationError,
} from "../errors/errors.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "../graph/types.ts";
import { assertEdge, assertId, assertNode, assertPattern } from "../graph/validate.ts";
import type { SqlDatabase } from "./sql-database.ts";
import { SqlGraphWrites } from "./sql-graph-writes.ts";
import { fromKey } from "./sql-keys.ts";
import { clearTables, type GraphTables, tablesOf } from "./sql-schema.ts";
import { deleteState, liveSet, readSeq, readState, writeState } from "./sql-state.ts";

/** One slice of a graph being imported. Edges may come before the nodes they name. */
export interface ImportChunk {
  nodes?: readonly GraphNode[];
  edges?: readonly GraphEdge[];
  patterns?: ReadonlyArray<readonly [string, Pattern]>;
}

/** The document-level members of the graph being imported. */
export interface ImportDocument {
  /** The document's own `seq`; the graph gets at least the current `seq` + 1 (ETags never repeat). */
  seq?: number;
  metadata?: JsonObject;
  /** Unknown top-level members, kept verbatim. */
  extras?: JsonObject;
}

/** Stored in `graph_state.import` while an import is open. */
interface ImportState {
  token: string;
  set: 0 | 1;
  seq: number;
}

const STATE_KEY = "import";

/**
 * Importing a whole graph (restore, `PUT /api/graph`, the first seed) without ever holding it:
 * rows stream into the shadow table set in chunks — each chunk one transaction, small enough
 * for the 30 s CPU limit of a request, so a 100k-node import can span several requests or
 * alarms (`resume(token)`) — and `commit` swaps the shadow set in with one transaction. Until
 * then the live graph is untouched and keeps serving reads and writes; a failure or an `abort`
 * leaves it as it was. Opening a new import discards an unfinished one.
 */
export class GraphImport {
  readonly #db: SqlDatabase;
  readonly token: string;
  readonly #tables: GraphTables;

  private constructor(db: SqlDatabase, token: string, set: 0 | 1) {
    this.#db = db;
    this.token = token;
    this.#tables = tablesOf(set);
  }

  /** Opens an import into the set that is not live (emptied first). */
  static begin(db: SqlDatabase, token: string = crypto.randomUUID()): GraphImport {
    return db.transactionSync(() => {
      const live = liveSet(db.sql);
      const set: 0 | 1 = live === 1 ? 0 : 1;
      clearTables(db.sql, tablesOf(set));
      const state: ImportState = { token, set, seq: 0 };
      writeState(db.sql, STATE_KEY, JSON.stringify(state));
      return new GraphImport(db, token, set);
    });
  }

  /** The open import `token` (from an earlier request); `NotFoundError` when it is not open any more. */
  static resume(db: SqlDatabase, token: string): GraphImport {
    const state = currentImport(db);
    if (!state || state.token !== token)
      throw new NotFoundError(`import ${JSON.stringify(token)} is not open`);
    return new GraphImport(db, token, state.set);
  }

  /** Validates and stores one chunk, all or nothing (one transaction). */
  addChunk(chunk: ImportChunk): void {
    const nodes = chunk.nodes ?? [];
    const edges = chunk.edges ?? [];
    const patterns = chunk.patterns ?? [];
    for (let i = 0; i < nodes.length; i++) assertNode(nodes[i], `nodes[${i}]`);
    for (let i = 0; i < edges.length; i++) assertEdge(edges[i], `edges[${i}]`);
    for (let i = 0; i < patterns.length; i++) {
      const [id, pattern] = patterns[i]!;
      assertId(id, `patterns[${i}] id`);
      assertPattern(pattern, `patterns[${i}]`);
    }
    this.#db.transactionSync(() => {
      this.#assertOpen();
      const writes = new SqlGraphWrites(this.#db.sql, this.#tables);
      try {
        writes.insertNodes(nodes);
        writes.insertEdges(edges);
        writes.insertPatterns(patterns);
      } catch (err) {
        throw duplicateAsConflict(err);
      }
      writes.counts.write(this.#db.sql, this.#tables);
    });
  }

  /** Sets the document's `seq`, `metadata` and unknown members. */
  setDocument(document: ImportDocument): void {
    this.#db.transactionSync(() => {
      const state = this.#assertOpen();
      const writes = new SqlGraphWrites(this.#db.sql, this.#tables);
      writes.setMetadata(document.metadata ?? {});
      for (const [name, value] of Object.entries(document.extras ?? {})) writes.setExtra(name, value);
      const seq = document.seq ?? 0;
      if (!Number.isSafeInteger(seq) || seq < 0) {
        throw new ValidationError("seq must be a non-negative integer", { details: { field: "seq" } });
      }
      writeState(this.#db.sql, STATE_KEY, JSON.stringify({ ...state, seq }));
    });
  }

  /**
   * Swaps the imported graph in: one transaction that checks every edge names an imported node,
   * runs `beforeSwap` (a precondition, against the live graph), makes the imported set live with
   * `seq` = max(its own, current + 1) — the document's own on the very first import — and
   * empties the old set. `afterSwap` runs in the same transaction once the imported set is live
   * (`previous`: the `seq` it replaced, `null` on the very first import): what records the swap
   * (the change feed) commits or rolls back with it. Returns the new `seq`. Call it where
   * writers are held back.
   */
  commitSync(beforeSwap?: () => void, afterSwap?: (seq: number, previous: number | null) => void): number {
    return this.#db.transactionSync(() => {
      const state = this.#assertOpen();
      const sql = this.#db.sql;
      this.#assertEdgesResolve();
      beforeSwap?.();
      const live = liveSet(sql);
      const previous = live === null ? null : readSeq(sql);
      const seq = previous === null ? state.seq : Math.max(state.seq, previous + 1);
      writeState(sql, "live", String(state.set));
      writeState(sql, "seq", String(seq));
      deleteState(sql, STATE_KEY);
      if (live !== null) clearTables(sql, tablesOf(live));
      afterSwap?.(seq, previous);
      return seq;
    });
  }

  /**
   * Throws `ValidationError` (`details.code: "unknown_node"`) when an imported edge names a node
   * that was not imported. `commitSync` checks this itself; a caller that wants to know before
   * doing anything else (a restore, before its safety backup) asks here first.
   */
  assertEdgesResolve(): void {
    this.#db.transactionSync(() => {
      this.#assertOpen();
      this.#assertEdgesResolve();
    });
  }

  #assertEdgesResolve(): void {
    const t = this.#tables;
    const dangling = this.#db.sql
      .exec<{ id: ArrayBuffer; src: ArrayBuffer; dst: ArrayBuffer; src_ok: number }>(
        `SELECT e.id, e.src, e.dst, EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.id = e.src) AS src_ok FROM ${t.edges} e
         WHERE NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.id = e.src)
            OR NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.id = e.dst) LIMIT 1`,
      )
      .toArray()[0];
    if (dangling) {
      const missing = fromKey(dangling.src_ok ? dangling.dst : dangling.src);
      throw new ValidationError(
        `edge ${JSON.stringify(fromKey(dangling.id))}: unknown node ${JSON.stringify(missing)}`,
        {
          cause: new UnknownNodeError(missing),
          details: { field: "edges", edge: fromKey(dangling.id), code: "unknown_node" },
        },
      );
    }
  }

  /** Drops what was imported; the live graph is untouched. */
  abort(): void {
    this.#db.transactionSync(() => {
      const state = currentImport(this.#db);
      if (!state || state.token !== this.token) return;
      clearTables(this.#db.sql, this.#tables);
      deleteState(this.#db.sql, STATE_KEY);
    });
  }

  #assertOpen(): ImportState {
    const state = currentImport(this.#db);
    if (!state || state.token !== this.token) {
      throw new ConflictError(`import ${this.token} was replaced or has ended`);
    }
    return state;
  }
}

function currentImport(db: SqlDatabase): ImportState | null {
  const value = readState(db.sql, STATE_KEY);
  return value === null ? null : (JSON.parse(value) as ImportState);
}

/** `details.code` of the `ConflictError` for an id imported twice. */
export const DUPLICATE_ID = "duplicate_id";

/** True for the error `addChunk` throws when a chunk repeats an id already imported. */
export function isDuplicateIdError(err: unknown): err is ConflictError {
  return (
    err instanceof ConflictError && (err.details as { code?: unknown } | undefined)?.code === DUPLICATE_ID
  );
}

/** SQLite's unique-constraint failure on an import row: the id was imported twice. */
function duplicateAsConflict(err: unknown): unknown {
  if (err instanceof DawsosError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (!/UNIQUE constraint failed/i.test(message)) return err;
  const table = /UNIQUE constraint failed: \w+_(nodes|edges|patterns)\./.exec(message)?.[1] ?? "records";
  return new ConflictError(`duplicate id among the imported ${table}`, {
    cause: err,
    details: { field: table, code: DUPLICATE_ID },
  });
}
