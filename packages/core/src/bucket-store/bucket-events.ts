import { ConflictError } from "../errors/errors.ts";
import type { ArchiveEvent } from "../store/archive.ts";
import type { RecoveryReport } from "../store/graph-service.ts";

/** What an `BucketGraphStore` did (structured, for logs and tests). */
export type BucketEvent =
  | { type: "seeded"; nodes: number; edges: number }
  | { type: "imported"; seq: number; records: number }
  | { type: "loaded"; seq: number; records: number }
  | { type: "recovered"; report: RecoveryReport }
  | { type: "conflict_retry"; attempt: number; delayMs: number }
  | { type: "conflict_gave_up"; attempts: number }
  | { type: "compacted"; seq: number; records: number; ms: number }
  | { type: "compaction_failed"; error: unknown }
  | { type: "cleanup_failed"; error: unknown }
  | ArchiveEvent
  | { type: "restored"; from: string; backup: string };

/** A conditional write of the adapter lost (compare-and-swap or create-only). */
export const isPreconditionFailed = (err: unknown): boolean =>
  err instanceof ConflictError && err.code === "precondition_failed";
