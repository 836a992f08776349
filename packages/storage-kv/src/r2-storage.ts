import {
  assertValidKey,
  assertValidPrefix,
  ConflictError,
  checkedKeyPrefix,
  type ListedObject,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  type StorageCapabilities,
  type StoredObject,
  toBytes,
} from "@dawsos/core";
import { sha256Digest, streamChunks } from "./bytes.ts";
import { wrap } from "./r2-errors.ts";
import { checkedPartBytes, MultipartUpload, PartBuffer } from "./r2-multipart.ts";
import type { R2BucketLike, R2ConditionalLike } from "./r2-types.ts";

export interface R2StorageOptions {
  /**
   * Prefix for every key (e.g. `"prod/"`): several stores can share one bucket. Must be empty
   * or end with `/`.
   */
  prefix?: string;
  /**
   * `putStream` bodies larger than this go to R2 as a multipart upload of parts this size (the
   * last one smaller); smaller bodies as one `put`. Default 8 MiB; at least 5 MiB, R2's minimum
   * for every part but the last.
   */
  multipartPartBytes?: number;
}

/** Objects per `list` page (R2's maximum). */
const LIST_PAGE = 1000;

/**
 * `StorageAdapter` over an R2 bucket: graph documents, journal objects, versions, backups,
 * workflow history and sessions. R2 is strongly consistent and its `put` takes conditions
 * (`onlyIf`), so this adapter offers compare-and-swap:
 *
 * - `ifMatch: etag` → `onlyIf: { etagMatches }`; `ifNoneMatch: "*"` → `onlyIf: { etagDoesNotMatch: "*" }`
 *   (create-only). When R2 answers `null` — the condition did not hold, nothing was written —
 *   `put` throws `ConflictError` with code `precondition_failed`: a lost race is never success.
 * - Every `put` sends the body's SHA-256, so R2 rejects an upload that was damaged in transit.
 * - `list` follows R2's cursors past 1,000 keys.
 */
export class R2Storage implements StorageAdapter {
  readonly kind = "r2";
  readonly capabilities: StorageCapabilities = {
    conditionalWrites: true,
    durableAppend: false,
    atomicReplace: true,
    nativeTtl: false,
    consistency: "strong",
  };
  readonly #bucket: R2BucketLike;
  readonly #prefix: string;
  readonly #partBytes: number;

  constructor(bucket: R2BucketLike, options: R2StorageOptions = {}) {
    const prefix = checkedKeyPrefix(options.prefix, "R2Storage");
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#partBytes = checkedPartBytes(options.multipartPartBytes);
  }

  #key(key: string): string {
    assertValidKey(key);
    return this.#prefix + key;
  }

  async get(key: string): Promise<StoredObject | null> {
    const full = this.#key(key);
    const object = await wrap("get", key, () => this.#bucket.get(full));
    if (!object) return null;
    const body = new Uint8Array(await wrap("get", key, () => object.arrayBuffer()));
    return { body, etag: object.etag };
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const full = this.#key(key);
    const bytes = toBytes(body);
    const onlyIf = conditionOf(options);
    const sha256 = await sha256Digest(bytes);
    const written = await wrap("put", key, () =>
      this.#bucket.put(full, bytes, onlyIf ? { onlyIf, sha256 } : { sha256 }),
    );
    if (written === null) {
      throw new ConflictError(
        options.ifNoneMatch === "*" ? `${key} already exists` : `${key} changed since it was read`,
        { code: "precondition_failed", details: { key } },
      );
    }
    return { etag: written.etag };
  }

  async delete(key: string): Promise<boolean> {
    const full = this.#key(key);
    // R2's delete does not say whether something was there.
    const existing = await wrap("delete", key, () => this.#bucket.head(full));
    if (!existing) return false;
    await wrap("delete", key, () => this.#bucket.delete(full));
    return true;
  }

  async list(prefix: string): Promise<ListedObject[]> {
    assertValidPrefix(prefix);
    const out: ListedObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await wrap("list", prefix, () =>
        this.#bucket.list({ prefix: this.#prefix + prefix, limit: LIST_PAGE, ...(cursor ? { cursor } : {}) }),
      );
      for (const object of page.objects) {
        const listed = { key: object.key.slice(this.#prefix.length), size: object.size, etag: object.etag };
        out.push(object.uploaded ? { ...listed, modifiedMs: object.uploaded.getTime() } : listed);
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The object's body as R2 streams it. */
  async getStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const full = this.#key(key);
    const object = await wrap("get", key, () => this.#bucket.get(full));
    return object ? streamChunks(object.body) : null;
  }

  /**
   * Stores a streamed body without holding more than one part of it. R2's `put` needs the
   * length of a body up front, so a body that fits in one part (`multipartPartBytes`) is
   * collected and sent with one `put` (with its SHA-256); a larger one goes as a multipart
   * upload, one part at a time, every part but the last exactly the part size (R2 requires
   * equal parts of at least 5 MiB). Either way the object is replaced in one step at the end: a
   * source or an upload that fails midway aborts the upload, stores nothing, and leaves the
   * previous object as it was (the `atomicReplace` guarantee of `put`). Unconditional, as
   * `StorageAdapter.putStream` is.
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<PutResult> {
    const full = this.#key(key);
    const part = new PartBuffer(this.#partBytes);
    const upload = new MultipartUpload(this.#bucket, full, key);
    try {
      for await (const chunk of body) {
        for (let at = 0; at < chunk.length; ) {
          // A full part goes out only once more bytes arrive, so the last part is never empty
          // and a body of exactly one part is a plain put.
          if (part.full) await upload.uploadPart(part.take());
          at += part.fill(chunk.subarray(at));
        }
      }
      if (!upload.started) return await this.put(key, part.take());
      await upload.uploadPart(part.take());
      return { etag: await upload.complete() };
    } catch (err) {
      await upload.abort();
      throw err;
    }
  }
}

function conditionOf(options: PutOptions): R2ConditionalLike | undefined {
  if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
    return { etagMatches: options.ifMatch, etagDoesNotMatch: "*" };
  }
  if (options.ifMatch !== undefined) return { etagMatches: options.ifMatch };
  if (options.ifNoneMatch === "*") return { etagDoesNotMatch: "*" };
  return undefined;
}
