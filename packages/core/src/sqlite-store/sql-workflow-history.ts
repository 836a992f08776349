import { ValidationError } from "../errors/errors.ts";
import { type WorkflowRun, workflowRunSchema } from "../format/schemas.ts";
import type { WorkflowRunLog } from "../history/workflow-history.ts";
import type { SqlDatabase } from "./sql-database.ts";
import { assertRecordFits } from "./sql-limits.ts";
import { parseBody } from "./sql-rows.ts";

const TABLE = "workflow_runs";

/**
 * The workflow history in the Durable Object's SQLite database: one row per run, appended and
 * trimmed to the newest `limit` in the same transaction (no read-modify-write of a whole file,
 * so concurrent appends cannot lose each other). Same methods as `WorkflowHistory`.
 */
export class SqlWorkflowHistory implements WorkflowRunLog {
  readonly #db: SqlDatabase;
  readonly #limit: number;

  constructor(db: SqlDatabase, options: { limit?: number } = {}) {
    this.#db = db;
    this.#limit = options.limit ?? 100;
    if (!Number.isInteger(this.#limit) || this.#limit < 1)
      throw new ValidationError("history limit must be a positive integer");
    db.transactionSync(() => {
      db.sql.exec(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (n INTEGER PRIMARY KEY, workflow TEXT, body TEXT NOT NULL)`,
      );
    });
  }

  /** Every stored run, oldest first. */
  async all(): Promise<WorkflowRun[]> {
    return this.#db.sql
      .exec<{ body: string }>(`SELECT body FROM ${TABLE} ORDER BY n`)
      .toArray()
      .map((row) => parseBody<WorkflowRun>(row.body, TABLE));
  }

  /** Appends a run and keeps the newest `limit`, in one transaction. */
  async append(run: WorkflowRun): Promise<void> {
    const checked = workflowRunSchema.safeParse(run);
    if (!checked.success)
      throw new ValidationError("invalid workflow run", { details: checked.error.issues });
    const body = JSON.stringify(run);
    assertRecordFits(body, `workflow run ${JSON.stringify(run.id)}`);
    this.#db.transactionSync(() => {
      this.#db.sql.exec(`INSERT INTO ${TABLE} (workflow, body) VALUES (?, ?)`, run.workflow, body);
      this.#trim();
    });
  }

  /**
   * Appends `runs` in their order (oldest first, as `WorkflowHistory.all()` gives them), kept
   * verbatim, unknown fields included, then keeps the newest `limit`: what a migration of a
   * `workflow_history.json` does. All or nothing: every run is checked before anything is
   * written, and it is one transaction. Synchronous, so a caller can make it part of a larger
   * `transactionSync` (the migration records that it ran in the same one: never twice).
   * Returns how many runs were appended.
   */
  importRuns(runs: readonly WorkflowRun[]): number {
    const bodies = runs.map((run, i) => {
      const checked = workflowRunSchema.safeParse(run);
      if (!checked.success) {
        throw new ValidationError(`invalid workflow run at index ${i}`, {
          details: { index: i, issues: checked.error.issues },
        });
      }
      const body = JSON.stringify(run);
      assertRecordFits(body, `workflow run ${JSON.stringify(run.id)}`);
      return { workflow: run.workflow, body };
    });
    this.#db.transactionSync(() => {
      for (const { workflow, body } of bodies) {
        this.#db.sql.exec(`INSERT INTO ${TABLE} (workflow, body) VALUES (?, ?)`, workflow, body);
      }
      this.#trim();
    });
    return bodies.length;
  }

  #trim(): void {
    this.#db.sql.exec(
      `DELETE FROM ${TABLE} WHERE n NOT IN (SELECT n FROM ${TABLE} ORDER BY n DESC LIMIT ?)`,
      this.#limit,
    );
  }

  /** Runs newest first, optionally of one workflow, at most `limit`. */
  async list(query: { workflow?: string; limit?: number } = {}): Promise<WorkflowRun[]> {
    const limit = query.limit === undefined ? -1 : Math.max(0, Math.trunc(query.limit));
    const rows =
      query.workflow === undefined
        ? this.#db.sql.exec<{ body: string }>(`SELECT body FROM ${TABLE} ORDER BY n DESC LIMIT ?`, limit)
        : this.#db.sql.exec<{ body: string }>(
            `SELECT body FROM ${TABLE} WHERE workflow = ? ORDER BY n DESC LIMIT ?`,
            query.workflow,
            limit,
          );
    return rows.toArray().map((row) => parseBody<WorkflowRun>(row.body, TABLE));
  }
}
