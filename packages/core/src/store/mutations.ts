import { assertAudit, type ChangeAudit } from "../changes/change-source.ts";
import { DawsosError, ValidationError } from "../errors/errors.ts";
import type { BatchOp, EdgeInput } from "../format/schemas.ts";
import type { Change } from "../graph/changes.ts";
import type { KnowledgeGraph, Undo } from "../graph/knowledge-graph.ts";
import type { GraphEdge, GraphNode, JsonObject, Pattern } from "../graph/types.ts";
import { assertChange, assertId } from "../graph/validate.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { encodeJournalRecord, type RecordAudit } from "../journal/journal-record.ts";
import type { CommitOptions } from "./graph-service.ts";
import { resolveBatch, resolveEdge, resolveNodePut } from "./resolve-ops.ts";

/** Builds a commit's change records from the graph they will apply to. */
export type BuildChanges = (graph: KnowledgeGraph) => readonly Change[];

/** A caller's check of the graph right before its change applies (throw to refuse). */
export type Precondition = ((graph: KnowledgeGraph) => void) | undefined;

/** Reads a commit's outcome right after it applied (`seq`: the graph's after it). */
export type CommitResult<T> = (graph: KnowledgeGraph, seq: number) => T;

/**
 * Validates `changes`, encodes them into their journal line and only then applies them to
 * `graph` (all or nothing). A refused change throws with `changeIndex` set and has changed
 * nothing. Every store commits through this.
 */
export function prepareChanges(
  graph: KnowledgeGraph,
  changes: readonly Change[],
  hasher: HasherFactory,
  audit?: RecordAudit,
): { line: string; undo: Undo } {
  for (let i = 0; i < changes.length; i++) {
    try {
      assertChange(changes[i]!);
    } catch (err) {
      if (err instanceof DawsosError) err.changeIndex = i;
      throw err;
    }
  }
  const line = encodeJournalRecord(graph.seq + changes.length, changes, hasher, audit);
  const undo = graph.apply(changes);
  return { line, undo };
}

/**
 * The mutation methods of `GraphService`, written once over one commit primitive. All are
 * `async`: a bad argument is a rejected promise, never a synchronous throw. A store
 * supplies `commitWith` (how a change becomes durable: a journal group commit, a
 * compare-and-swap, a Durable Object transaction) and `now`.
 */
export abstract class GraphMutations {
  /**
   * Commits the changes `build` returns. `precondition` and `build` run against the graph the
   * changes will apply to, right before they apply (after any wait); `result` reads the outcome
   * right after, before any other change. Resolves once the changes are durable.
   */
  protected abstract commitWith<T>(
    build: BuildChanges,
    check: Precondition,
    result: CommitResult<T>,
    audit: ChangeAudit,
  ): Promise<T>;

  /** The timestamp for records made now (ISO 8601). */
  protected abstract now(): string;

  /** The source of commits that name none (`"api"` unless the store was opened with another). */
  protected defaultSource(): ChangeAudit["source"] {
    return "api";
  }

  /** The audit of a commit from its options, checked before anything is queued. */
  protected auditOf(options: CommitOptions): ChangeAudit {
    const audit: ChangeAudit = { source: options.source ?? this.defaultSource() };
    if (options.actor !== undefined) audit.actor = options.actor;
    assertAudit(audit);
    return audit;
  }

  /** Applies change records all-or-nothing; resolves to the graph's `seq` once durable. */
  async commit(changes: readonly Change[], options: CommitOptions = {}): Promise<number> {
    return this.commitWith(
      options.changes ?? (() => changes),
      options.precondition,
      (_graph, seq) => seq,
      this.auditOf(options),
    );
  }

  /** Creates or replaces a node. Unknown fields of an existing node are kept. */
  async putNode(
    id: string,
    input: { type: string; data?: JsonObject },
    options: CommitOptions = {},
  ): Promise<{ node: GraphNode; created: boolean }> {
    assertId(id, "node id");
    let created = false;
    let node: GraphNode | undefined;
    return this.commitWith(
      (graph) => {
        // Resolved when applied, so created_at and `created` describe the node as it is then.
        const change = resolveNodePut(graph, id, input, this.now());
        created = !graph.hasNode(id);
        node = change.node;
        return [change];
      },
      options.precondition,
      () => ({ node: node as GraphNode, created }),
      this.auditOf(options),
    );
  }

  /** Merges `data` into the node's data (JSON merge patch). */
  async patchNode(id: string, data: JsonObject, options: CommitOptions = {}): Promise<GraphNode> {
    assertId(id, "node id");
    return this.commitWith(
      () => [{ op: "patch_node", at: this.now(), id, data }],
      options.precondition,
      (graph) => graph.getNode(id) as GraphNode,
      this.auditOf(options),
    );
  }

  /** Deletes a node and its edges. */
  async deleteNode(id: string, options: CommitOptions = {}): Promise<void> {
    await this.commitWith(
      () => [{ op: "delete_node", at: this.now(), id }],
      options.precondition,
      noResult,
      this.auditOf(options),
    );
  }

  async addEdge(input: EdgeInput, options: CommitOptions = {}): Promise<GraphEdge> {
    let edge: GraphEdge | undefined;
    return this.commitWith(
      (graph) => {
        const change = resolveEdge(graph, input, this.now(), new Set());
        edge = change.edge;
        return [change];
      },
      options.precondition,
      () => edge as GraphEdge,
      this.auditOf(options),
    );
  }

  async deleteEdge(id: string, options: CommitOptions = {}): Promise<void> {
    await this.commitWith(
      () => [{ op: "delete_edge", at: this.now(), id }],
      options.precondition,
      noResult,
      this.auditOf(options),
    );
  }

  async putPattern(id: string, pattern: Pattern, options: CommitOptions = {}): Promise<{ created: boolean }> {
    let created = false;
    return this.commitWith(
      (graph) => {
        created = graph.getPattern(id) === undefined;
        return [{ op: "put_pattern", at: this.now(), id, pattern }];
      },
      options.precondition,
      () => ({ created }),
      this.auditOf(options),
    );
  }

  async deletePattern(id: string, options: CommitOptions = {}): Promise<void> {
    await this.commitWith(
      () => [{ op: "delete_pattern", at: this.now(), id }],
      options.precondition,
      noResult,
      this.auditOf(options),
    );
  }

  /**
   * Applies batch operations (SPEC `POST /api/batch`) all-or-nothing as one record. A failing
   * operation throws a `ValidationError` whose details name its index; nothing is applied.
   */
  async applyBatch(
    ops: readonly BatchOp[],
    options: CommitOptions = {},
  ): Promise<{ applied: number; seq: number }> {
    let applied = 0;
    const audit = this.auditOf(options);
    try {
      return await this.commitWith(
        (graph) => {
          const changes = resolveBatch(graph, ops, this.now());
          applied = changes.length;
          return changes;
        },
        options.precondition,
        (_graph, seq) => ({ applied, seq }),
        audit,
      );
    } catch (err) {
      if (err instanceof DawsosError && err.changeIndex !== undefined) {
        const path = (err.details as { path?: unknown } | undefined)?.path;
        throw new ValidationError(`op ${err.changeIndex}: ${err.message}`, {
          cause: err,
          details: { index: err.changeIndex, code: err.code, ...(path === undefined ? {} : { path }) },
        });
      }
      throw err;
    }
  }
}

const noResult = () => undefined;
