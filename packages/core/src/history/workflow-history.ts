import { IntegrityError, ValidationError } from "../errors/errors.ts";
import { parseJsonDocument } from "../format/read-document.ts";
import { type WorkflowRun, workflowHistorySchema, workflowRunSchema } from "../format/schemas.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { HISTORY_KEY } from "../store/storage-keys.ts";
import { Mutex } from "../util/mutex.ts";

export interface WorkflowHistoryOptions {
  /** Runs kept, oldest dropped first. Default 100 (as the original system). */
  limit?: number;
  key?: string;
}

/**
 * Where workflow runs are recorded: `WorkflowHistory` (a file in a storage adapter) or
 * `SqlWorkflowHistory` (a table in the Durable Object's database).
 */
export interface WorkflowRunLog {
  /** Every stored run, oldest first. */
  all(): Promise<WorkflowRun[]>;
  /** Records a run, dropping the oldest past the limit; resolves once durable. */
  append(run: WorkflowRun): Promise<void>;
  /** Newest first, optionally of one workflow, at most `limit`. */
  list(query?: { workflow?: string; limit?: number }): Promise<WorkflowRun[]>;
}

/**
 * The persisted history of workflow runs: `workflow_history.json`, a JSON array oldest first,
 * in the same shape the original Python DawsOS wrote (whose files load as they are).
 *
 * The file is small (≤ limit runs), so every append is a read-modify-write under an in-process
 * mutex with a crash-safe replace; reads always see what is stored (a backup restore included).
 */
export class WorkflowHistory implements WorkflowRunLog {
  readonly #storage: StorageAdapter;
  readonly #limit: number;
  readonly #key: string;
  readonly #lock = new Mutex();

  constructor(storage: StorageAdapter, options: WorkflowHistoryOptions = {}) {
    this.#storage = storage;
    this.#limit = options.limit ?? 100;
    this.#key = options.key ?? HISTORY_KEY;
    if (!Number.isInteger(this.#limit) || this.#limit < 1)
      throw new ValidationError("history limit must be a positive integer");
  }

  /** Every stored run, oldest first. A damaged file is an `IntegrityError` naming it. */
  async all(): Promise<WorkflowRun[]> {
    const stored = await this.#storage.get(this.#key);
    if (!stored) return [];
    const parsed = workflowHistorySchema.safeParse(parseJsonDocument(stored.body, this.#key));
    if (!parsed.success) {
      throw new IntegrityError("invalid_document", "not a workflow history array", {
        file: this.#key,
        details: parsed.error.issues,
      });
    }
    // Keep the parsed JSON (not zod's copy) so unknown fields survive untouched.
    return JSON.parse(new TextDecoder().decode(stored.body)) as WorkflowRun[];
  }

  /** Appends a run and keeps the newest `limit`. Resolves once durable. */
  append(run: WorkflowRun): Promise<void> {
    const checked = workflowRunSchema.safeParse(run);
    if (!checked.success) {
      return Promise.reject(new ValidationError("invalid workflow run", { details: checked.error.issues }));
    }
    return this.#lock.run(async () => {
      const runs = await this.all();
      runs.push(run);
      const kept = runs.slice(Math.max(0, runs.length - this.#limit));
      await this.#storage.put(this.#key, `${JSON.stringify(kept, null, 2)}\n`);
    });
  }

  /** Runs newest first, optionally of one workflow, at most `limit`. */
  async list(query: { workflow?: string; limit?: number } = {}): Promise<WorkflowRun[]> {
    const runs = (await this.all()).reverse();
    const filtered = query.workflow === undefined ? runs : runs.filter((r) => r.workflow === query.workflow);
    return query.limit === undefined ? filtered : filtered.slice(0, Math.max(0, query.limit));
  }
}
