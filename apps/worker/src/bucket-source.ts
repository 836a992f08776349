import {
  hasCode,
  IntegrityError,
  type Session,
  SessionStore,
  type StorageAdapter,
  ValidationError,
  WorkflowHistory,
  type WorkflowRun,
} from "@dawsos/core";
import type { DamagedObject } from "./migration-marker.ts";

/** Damage is left in the bucket and reported; anything else (R2 failing) is thrown, to retry. */
export function damageOf(key: string, err: unknown): DamagedObject {
  if (err instanceof IntegrityError || err instanceof ValidationError) return { key, code: err.code };
  throw err;
}

/**
 * The workflow history and sessions the Worker kept in R2 before issue 12, read with the very
 * classes that wrote them (`WorkflowHistory`, `SessionStore` over the bucket), read-only: the
 * migration never writes to or deletes from the bucket.
 */
export class BucketSource {
  readonly #history: WorkflowHistory;
  readonly #sessions: SessionStore;

  constructor(bucket: StorageAdapter) {
    this.#history = new WorkflowHistory(bucket);
    this.#sessions = new SessionStore(bucket);
  }

  /** Every run, oldest first; a damaged `workflow_history.json` gives none and is reported. */
  async runs(): Promise<{ runs: WorkflowRun[]; damaged: DamagedObject[] }> {
    try {
      return { runs: await this.#history.all(), damaged: [] };
    } catch (err) {
      return { runs: [], damaged: [damageOf("workflow_history.json", err)] };
    }
  }

  /** The ids of the stored sessions, sorted. */
  sessionIds(): Promise<string[]> {
    return this.#sessions.ids();
  }

  /** A session with its messages; `null` when it went meanwhile; damage reported. */
  async session(id: string): Promise<Session | DamagedObject | null> {
    try {
      return await this.#sessions.get(id);
    } catch (err) {
      if (hasCode(err, "not_found")) return null;
      return damageOf(`sessions/${id}.json`, err);
    }
  }
}
