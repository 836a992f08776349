import { ValidationError } from "../errors/errors.ts";

/**
 * Where a commit came from (the audit trail of the change feed): the HTTP API, the `dawsos`
 * CLI, a workflow run (`workflow:<name>`), a whole-graph import, a restore, or a scheduled job.
 */
export type ChangeSource = "api" | "cli" | "import" | "restore" | "cron" | `workflow:${string}`;

/** Who and what made a commit, as recorded with it. */
export interface ChangeAudit {
  source: ChangeSource;
  /**
   * A label configured for the credential that made the request (e.g. `DAWSOS_API_TOKEN_LABEL`),
   * never the credential itself. Absent when none is configured.
   */
  actor?: string;
}

const SOURCE = /^(?:api|cli|import|restore|cron|workflow:[a-z][a-z0-9_]{0,63})$/;
/** Printable, bounded: it is echoed in every feed event and history entry. */
const ACTOR = /^[\x20-\x7e]{1,128}$/;

export function isChangeSource(value: unknown): value is ChangeSource {
  return typeof value === "string" && SOURCE.test(value);
}

export function isActorLabel(value: unknown): value is string {
  return typeof value === "string" && ACTOR.test(value);
}

/** Checks an audit before it is written into a record (a bad label must not reach the journal). */
export function assertAudit(audit: ChangeAudit): void {
  if (!isChangeSource(audit.source))
    throw new ValidationError(`invalid change source ${JSON.stringify(String(audit.source).slice(0, 80))}`);
  if (audit.actor !== undefined && !isActorLabel(audit.actor))
    throw new ValidationError("invalid actor label: 1-128 printable ASCII characters");
}
