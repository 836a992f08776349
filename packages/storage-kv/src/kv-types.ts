/**
 * The parts of the Workers KV binding (`KVNamespace`) this adapter uses, as structural types
 * (see r2-types.ts for why).
 */
export interface KvEntryMetadata {
  /** Our version tag of the value (KV has no etags of its own). */
  etag?: string;
  /** Byte length of the value, so listings can report sizes without reading values. */
  size?: number;
}

export interface KvListKeyLike {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

export type KvListResultLike = { keys: KvListKeyLike[] } & (
  | { list_complete: false; cursor: string }
  | { list_complete: true }
);

export interface KvNamespaceLike {
  getWithMetadata(
    key: string,
    type: "arrayBuffer",
  ): Promise<{ value: ArrayBuffer | null; metadata: unknown }>;
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: { expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: {
    prefix?: string | null;
    cursor?: string | null;
    limit?: number;
  }): Promise<KvListResultLike>;
}
