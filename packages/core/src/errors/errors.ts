/**
 * Typed errors with stable `code`s. Callers (the HTTP layer, the CLI, tests) branch on `code`
 * or `instanceof`, never on message text.
 */
export type ErrorCode =
  | "validation_error"
  | "invalid_id"
  | "unknown_node"
  | "not_found"
  | "conflict"
  | "precondition_failed"
  | "forbidden"
  | "integrity_error"
  | "checksum_mismatch"
  | "malformed_json"
  | "empty_file"
  | "invalid_document"
  | "storage_error"
  | "lock_held"
  | "read_only"
  | "unsupported_storage"
  | "not_configured"
  | "upstream_error"
  | "rate_limited"
  | "payload_too_large"
  | "gone";

export interface DawsosErrorOptions {
  cause?: unknown;
  details?: unknown;
}

/** Base class of every error this project throws on purpose. */
export class DawsosError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Set by `KnowledgeGraph.apply`: index of the change record that failed. */
  changeIndex: number | undefined;

  constructor(code: ErrorCode, message: string, options: DawsosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** Input that does not satisfy a schema or an invariant. Nothing was changed. */
export class ValidationError extends DawsosError {
  constructor(
    message: string,
    options: DawsosErrorOptions & { code?: "validation_error" | "invalid_id" } = {},
  ) {
    super(options.code ?? "validation_error", message, options);
  }
}

/** An id (node, edge, pattern, backup, version, storage key) that is not acceptable. */
export class InvalidIdError extends ValidationError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super(message, { ...options, code: "invalid_id" });
  }
}

/** Something that should exist does not. */
export class NotFoundError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions & { code?: "not_found" | "unknown_node" } = {}) {
    super(options.code ?? "not_found", message, options);
  }
}

/** An edge names a node that does not exist. */
export class UnknownNodeError extends NotFoundError {
  readonly nodeId: string;
  constructor(nodeId: string, options: DawsosErrorOptions = {}) {
    super(`unknown node ${JSON.stringify(nodeId)}`, { ...options, code: "unknown_node" });
    this.nodeId = nodeId;
  }
}

/** A write lost a race (an id already exists, or a conditional write failed). */
export class ConflictError extends DawsosError {
  constructor(
    message: string,
    options: DawsosErrorOptions & { code?: "conflict" | "precondition_failed" } = {},
  ) {
    super(options.code ?? "conflict", message, options);
  }
}

export type IntegrityCode =
  | "integrity_error"
  | "checksum_mismatch"
  | "malformed_json"
  | "empty_file"
  | "invalid_document";

/** An HTTP-style precondition (`If-Match`) did not hold. */
export class PreconditionFailed extends ConflictError {
  constructor(message = "the resource changed: If-Match does not match", options: DawsosErrorOptions = {}) {
    super(message, { ...options, code: "precondition_failed" });
  }
}

/**
 * A request the server refuses whoever sends it: in the Node server's no-token mode, a foreign
 * `Host` (DNS rebinding) or a state-changing request from another site (CSRF).
 */
export class ForbiddenError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("forbidden", message, options);
  }
}

/**
 * Stored data is damaged or unreadable. `file` names the storage key so operators know
 * exactly what to look at.
 */
export class IntegrityError extends DawsosError {
  readonly file: string | undefined;
  constructor(code: IntegrityCode, message: string, options: DawsosErrorOptions & { file?: string } = {}) {
    super(code, options.file ? `${options.file}: ${message}` : message, options);
    this.file = options.file;
  }
}

/** The storage layer failed (I/O error, disk full). `cause` carries the runtime error. */
export class StorageError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("storage_error", message, options);
  }
}

/** Another process holds the writer lock of a storage directory. */
export class LockHeldError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("lock_held", message, options);
  }
}

/**
 * Asked for changes older than the change feed retains (`since` below its oldest retained seq):
 * the client reloads the graph and continues from its `seq`. `details.oldest` is the smallest
 * `since` still answered.
 */
export class GoneError extends DawsosError {
  readonly oldest: number;
  constructor(oldest: number, options: DawsosErrorOptions = {}) {
    super("gone", `changes before seq ${oldest} are no longer retained: reload the graph`, {
      ...options,
      details: { oldest },
    });
    this.oldest = oldest;
  }
}

/** A write was attempted on a store opened read-only. */
export class ReadOnlyError extends DawsosError {
  constructor(message = "the store was opened read-only", options: DawsosErrorOptions = {}) {
    super("read_only", message, options);
  }
}

/** A capability is used without the configuration it needs (an API key, a base URL). */
export class NotConfiguredError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("not_configured", message, options);
  }
}

/**
 * An upstream data provider (FRED, FMP) failed: unreachable, timed out, answered an error status
 * or a body we cannot read. `provider` names it; messages never contain the request URL, which
 * carries the API key.
 */
export class UpstreamError extends DawsosError {
  readonly provider: string;
  /** The HTTP status the provider answered, when it answered. */
  readonly status: number | undefined;
  constructor(
    provider: string,
    message: string,
    options: DawsosErrorOptions & { code?: "upstream_error" | "rate_limited"; status?: number } = {},
  ) {
    super(options.code ?? "upstream_error", message, options);
    this.provider = provider;
    this.status = options.status;
  }
}

/**
 * A request budget ran out: ours (the per-provider requests per minute) or the provider's (HTTP
 * 429 still answered after the retries we allow). `retryAfterMs` says when trying again makes sense.
 */
export class RateLimitedError extends UpstreamError {
  readonly retryAfterMs: number;
  constructor(
    provider: string,
    message: string,
    options: DawsosErrorOptions & { retryAfterMs: number; status?: number },
  ) {
    super(provider, message, { ...options, code: "rate_limited" });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A storage adapter lacks a capability the caller needs: the graph needs strong consistency and
 * either compare-and-swap or a durable append (never Workers KV); KV cannot compare-and-swap.
 * A configuration mistake, caught before anything is read or written.
 */
export class UnsupportedStorageError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("unsupported_storage", message, options);
  }
}

/**
 * A record too large for the store that holds it: on the Durable Object's SQLite backend a row
 * or value may not exceed 2 MB (Cloudflare Durable Objects limits), so a node, edge or pattern
 * whose JSON would exceed that is refused whole instead of failing inside the database. Nothing
 * was changed. `details` names the record and the limit.
 */
export class PayloadTooLargeError extends DawsosError {
  constructor(message: string, options: DawsosErrorOptions = {}) {
    super("payload_too_large", message, options);
  }
}

/** True when `err` is one of ours with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof DawsosError && err.code === code;
}
