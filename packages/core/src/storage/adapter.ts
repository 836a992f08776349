/**
 * The storage contract every runtime adapter implements (filesystem, memory, R2, KV).
 *
 * Deliberately small, in the spirit of lowdb's adapter and unstorage's drivers: byte bodies
 * under `/`-separated keys, `null` for "nothing stored yet". Everything above bytes —
 * checksums, the file format, journals, retention — lives once, in `core`.
 */
export interface StorageCapabilities {
  /** `put` honours `ifMatch` / `ifNoneMatch: "*"` atomically (compare-and-swap). */
  readonly conditionalWrites: boolean;
  /** `append` exists and makes appended bytes durable before resolving. */
  readonly durableAppend: boolean;
  /** A `put` replaces atomically: readers see the old or the new body, never a mix. */
  readonly atomicReplace: boolean;
  /** Entries can expire natively (`expirationTtl`). */
  readonly nativeTtl: boolean;
  /** `"eventual"` adapters (Workers KV) must never hold the graph. */
  readonly consistency: "strong" | "eventual";
}

export interface StoredObject {
  readonly body: Uint8Array;
  /** Opaque version tag of this body; used for conditional writes. */
  readonly etag: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  /**
   * When the body was last written (ms since the epoch: file mtime, R2 upload time), where the
   * adapter knows it for free. Lets retention judge age from one `list` instead of reading
   * every object.
   */
  readonly modifiedMs?: number;
}

export interface PutOptions {
  /** Write only if the current etag equals this (requires `conditionalWrites`). */
  readonly ifMatch?: string;
  /** `"*"`: write only if nothing is stored under the key (requires `conditionalWrites`). */
  readonly ifNoneMatch?: "*";
  /**
   * Seconds after which the entry may be dropped (adapters with `nativeTtl`, e.g. Workers KV,
   * which raises it to its 60 s minimum); others keep the entry. A storage-side bound only:
   * readers still check an entry's own expiry.
   */
  readonly expirationTtl?: number;
}

export interface PutResult {
  readonly etag: string;
}

/**
 * An append-only log kept open for fast durable appends (the graph journal). Appends from one
 * log are applied in call order.
 */
export interface AppendLog {
  /** Bytes in the log: the offset the next append writes at. */
  readonly size: number;
  /**
   * Appends `bytes`. With `sync: true` they are durable (fdatasync) before this resolves.
   * If it rejects, the log's content past the previous `size` is unknown: the caller must
   * `truncate` back before appending again.
   */
  append(bytes: Uint8Array, options?: { sync?: boolean }): Promise<void>;
  /** Makes every appended byte durable. */
  sync(): Promise<void>;
  /** Cuts the log back to `size` bytes, durably (drops records whose write failed). */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export interface StorageAdapter {
  /** Short name shown by `/health` (`"fs"`, `"memory"`, `"r2"`). */
  readonly kind: string;
  readonly capabilities: StorageCapabilities;
  /** The body and etag under `key`, or `null` when nothing is stored. */
  get(key: string): Promise<StoredObject | null>;
  /**
   * Stores `body` under `key`, replacing what was there. Throws `ConflictError`
   * (code `precondition_failed`) when a condition in `options` does not hold.
   */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<PutResult>;
  /** Removes `key`; resolves `true` if something was removed. */
  delete(key: string): Promise<boolean>;
  /** Every stored key starting with `prefix` (all keys for `""`), sorted by key. */
  list(prefix: string): Promise<ListedObject[]>;
  /** Appends durably (only when `capabilities.durableAppend`). */
  append?(key: string, body: Uint8Array | string): Promise<void>;
  /** Opens `key` as an append log, creating it empty if missing (only when `durableAppend`). */
  openAppendLog?(key: string): Promise<AppendLog>;
  /**
   * Streams the body under `key` in chunks, or `null` when missing. For documents too large
   * to hold as one buffer or string (a JSON text larger than V8's maximum string length).
   */
  getStream?(key: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Stores a streamed body with the same atomic-replace guarantee as `put`. */
  putStream?(key: string, body: AsyncIterable<Uint8Array>): Promise<PutResult>;
  /** Releases resources (file handles, locks). Safe to call twice. */
  close?(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/** Joins chunks into one buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Decodes UTF-8 strictly: invalid bytes are an error, not U+FFFD. */
export function bytesToText(body: Uint8Array): string {
  return decoder.decode(body);
}
