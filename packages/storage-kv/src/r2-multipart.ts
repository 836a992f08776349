import { StorageError, ValidationError } from "@dawsos/core";
import { wrap } from "./r2-errors.ts";
import type { R2BucketLike, R2MultipartUploadLike, R2UploadedPartLike } from "./r2-types.ts";

/** R2's smallest part: every part but the last must be at least 5 MiB. */
export const R2_MIN_PART_BYTES = 5 * 1024 * 1024;
/** R2's largest part: 5 GiB. */
export const R2_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
/** R2 takes at most 10,000 parts per upload. */
export const R2_MAX_PARTS = 10_000;
/**
 * Default part size, and so the largest streamed body still sent with one `put`. 8 MiB: well
 * above R2's minimum, a small share of a 128 MB isolate, and 80 GB of parts at most.
 */
export const R2_DEFAULT_PART_BYTES = 8 * 1024 * 1024;

/** Checks a configured part size against R2's limits. */
export function checkedPartBytes(value: number | undefined): number {
  const bytes = value ?? R2_DEFAULT_PART_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < R2_MIN_PART_BYTES || bytes > R2_MAX_PART_BYTES) {
    throw new ValidationError(
      `multipartPartBytes must be an integer from ${R2_MIN_PART_BYTES} (R2's 5 MiB minimum) to ${R2_MAX_PART_BYTES}`,
      { details: { field: "multipartPartBytes", value } },
    );
  }
  return bytes;
}

/**
 * The bytes of one part, filled in place: a streamed upload never holds more than one part
 * (R2 wants every part but the last the same size, so parts are cut at exactly `capacity`
 * bytes, whatever the sizes of the chunks). It grows as it fills, so a small body costs only
 * its own size.
 */
export class PartBuffer {
  readonly capacity: number;
  #bytes = new Uint8Array(0);
  #length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#length;
  }

  get full(): boolean {
    return this.#length === this.capacity;
  }

  /** Copies as much of `chunk` as fits; returns how many bytes it took. */
  fill(chunk: Uint8Array): number {
    const n = Math.min(this.capacity - this.#length, chunk.length);
    const needed = this.#length + n;
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(
        Math.min(this.capacity, Math.max(needed, 2 * this.#bytes.length, 64 * 1024)),
      );
      grown.set(this.#bytes.subarray(0, this.#length), 0);
      this.#bytes = grown;
    }
    this.#bytes.set(chunk.subarray(0, n), this.#length);
    this.#length = needed;
    return n;
  }

  /** Hands the filled bytes over and starts a new, empty part. */
  take(): Uint8Array {
    const out = this.#bytes.subarray(0, this.#length);
    this.#bytes = new Uint8Array(0);
    this.#length = 0;
    return out;
  }
}

/**
 * One R2 multipart upload, started on its first part. Nothing is visible under the key until
 * `complete`, which replaces the object in one step, so a streamed upload keeps `put`'s
 * guarantee: readers see the old object or the whole new one; a failure and `abort` leave the
 * old one as it was.
 */
export class MultipartUpload {
  readonly #bucket: R2BucketLike;
  readonly #fullKey: string;
  /** The adapter's key, for error messages. */
  readonly #key: string;
  #upload: R2MultipartUploadLike | null = null;
  readonly #parts: R2UploadedPartLike[] = [];
  #bytes = 0;

  constructor(bucket: R2BucketLike, fullKey: string, key: string) {
    this.#bucket = bucket;
    this.#fullKey = fullKey;
    this.#key = key;
  }

  get started(): boolean {
    return this.#upload !== null;
  }

  async uploadPart(bytes: Uint8Array): Promise<void> {
    if (this.#parts.length >= R2_MAX_PARTS) {
      throw new StorageError(
        `r2 put ${this.#key}: more than ${R2_MAX_PARTS} parts (raise multipartPartBytes)`,
      );
    }
    if (!this.#upload) {
      this.#upload = await wrap("put", this.#key, () => this.#bucket.createMultipartUpload(this.#fullKey));
    }
    const upload = this.#upload;
    const partNumber = this.#parts.length + 1;
    this.#parts.push(await wrap("put", this.#key, () => upload.uploadPart(partNumber, bytes)));
    this.#bytes += bytes.length;
  }

  /** Makes the object out of the parts; resolves to its etag. */
  async complete(): Promise<string> {
    const upload = this.#upload;
    if (!upload) throw new StorageError(`r2 put ${this.#key}: no part was uploaded`);
    const written = await wrap("put", this.#key, () => upload.complete(this.#parts));
    // Parts carry no SHA-256 (a single put does): at least the length must be what was sent.
    if (written.size !== this.#bytes) {
      throw new StorageError(`r2 put ${this.#key}: stored ${written.size} bytes of ${this.#bytes}`);
    }
    return written.etag;
  }

  /** Drops the parts stored so far; never throws (it runs while another error is on its way). */
  async abort(): Promise<void> {
    const upload = this.#upload;
    this.#upload = null;
    await upload?.abort().catch(() => undefined);
  }
}
