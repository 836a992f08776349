/**
 * The parts of the Workers R2 binding (`R2Bucket`) this adapter uses, as structural types, so
 * the package compiles without the Workers globals and any binding with this shape (the real
 * one, a test double) can be passed in.
 */
export interface R2ObjectLike {
  readonly key: string;
  readonly size: number;
  /** Unquoted etag (the `httpEtag` is the quoted form). */
  readonly etag: string;
  /** When the object was written (R2 always sets it; optional so simple doubles fit). */
  readonly uploaded?: Date;
}

/** The reader side of a byte stream (Workers' and the DOM's `ReadableStream` both fit). */
export interface ByteStreamLike {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
}

export interface R2ObjectBodyLike extends R2ObjectLike {
  readonly body: ByteStreamLike;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2ConditionalLike {
  etagMatches?: string;
  etagDoesNotMatch?: string;
}

export interface R2PutOptionsLike {
  onlyIf?: R2ConditionalLike;
  /** R2 verifies the upload against this digest and rejects a mismatch. */
  sha256?: ArrayBuffer;
}

export interface R2ListOptionsLike {
  prefix?: string;
  cursor?: string;
  limit?: number;
}

export type R2ObjectsLike = { objects: R2ObjectLike[] } & (
  | { truncated: true; cursor: string }
  | { truncated: false }
);

/** A part stored by `uploadPart`; `complete` takes them in part-number order. */
export interface R2UploadedPartLike {
  partNumber: number;
  etag: string;
}

/**
 * An open multipart upload. Nothing is visible under its key until `complete`, which replaces
 * the object in one step; `abort` drops the stored parts and leaves any previous object as it was.
 */
export interface R2MultipartUploadLike {
  readonly key: string;
  readonly uploadId: string;
  uploadPart(partNumber: number, value: ArrayBuffer | ArrayBufferView | string): Promise<R2UploadedPartLike>;
  abort(): Promise<void>;
  complete(uploadedParts: R2UploadedPartLike[]): Promise<R2ObjectLike>;
}

export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string): Promise<R2ObjectBodyLike | null>;
  /** `null` when an `onlyIf` condition did not hold (nothing was written). */
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView | string,
    options?: R2PutOptionsLike,
  ): Promise<R2ObjectLike | null>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: R2ListOptionsLike): Promise<R2ObjectsLike>;
  /** Starts an upload in parts, for bodies too large to buffer for one `put`. */
  createMultipartUpload(key: string): Promise<R2MultipartUploadLike>;
}
