import {
  assertValidKey,
  assertValidPrefix,
  ConflictError,
  checkedKeyPrefix,
  DawsosError,
  type ListedObject,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  type StorageCapabilities,
  StorageError,
  type StoredObject,
  toBytes,
} from "@dawsos/core";
import { concatBytes, sha256Digest, streamChunks } from "./bytes.ts";
import type { R2BucketLike, R2ConditionalLike } from "./r2-types.ts";

export interface R2StorageOptions {
  /**
   * Prefix for every key (e.g. `"prod/"`): several stores can share one bucket. Must be empty
   * or end with `/`.
   */
  prefix?: string;
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

  constructor(bucket: R2BucketLike, options: R2StorageOptions = {}) {
    const prefix = checkedKeyPrefix(options.prefix, "R2Storage");
    this.#bucket = bucket;
    this.#prefix = prefix;
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
   * Stores a streamed body. R2 needs the length of a streamed upload up front, so the chunks
   * are collected first — which also means a source that fails midway stores nothing.
   */
  async putStream(key: string, body: AsyncIterable<Uint8Array>): Promise<PutResult> {
    this.#key(key);
    const parts: Uint8Array[] = [];
    for await (const chunk of body) parts.push(chunk.slice());
    return this.put(key, concatBytes(parts));
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

/** R2 failures become `StorageError`s naming the operation and key (never the bucket's internals). */
async function wrap<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof DawsosError) throw cause;
    throw new StorageError(`r2 ${op} ${key} failed`, { cause });
  }
}
