import type { R2BucketLike, R2ListOptionsLike, R2MultipartUploadLike, R2ObjectsLike } from "../src/index.ts";

/** A fresh key prefix per use, so tests sharing one bucket never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${crypto.randomUUID().slice(0, 8)}/`;
}

/** Counts `list` calls (pages) on the way to a real bucket. */
export class CountingBucket implements R2BucketLike {
  lists = 0;
  constructor(readonly inner: R2BucketLike) {}
  head(key: string) {
    return this.inner.head(key);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  put(...args: Parameters<R2BucketLike["put"]>) {
    return this.inner.put(...args);
  }
  delete(keys: string | string[]) {
    return this.inner.delete(keys);
  }
  list(options?: R2ListOptionsLike): Promise<R2ObjectsLike> {
    this.lists++;
    return this.inner.list(options);
  }
  createMultipartUpload(key: string) {
    return this.inner.createMultipartUpload(key);
  }
}

/**
 * Records the multipart calls made on the way to a real bucket (`put`, `create`,
 * `part <n> <bytes>`, `complete`, `abort`); `failPart` makes that part's upload fail.
 */
export class MultipartProbe extends CountingBucket {
  readonly calls: string[] = [];
  failPart: number | null = null;

  override put(...args: Parameters<R2BucketLike["put"]>) {
    this.calls.push("put");
    return super.put(...args);
  }

  override async createMultipartUpload(key: string): Promise<R2MultipartUploadLike> {
    this.calls.push("create");
    const upload = await this.inner.createMultipartUpload(key);
    const probe = this;
    return {
      key: upload.key,
      uploadId: upload.uploadId,
      async uploadPart(partNumber, value) {
        probe.calls.push(`part ${partNumber} ${(value as Uint8Array).byteLength}`);
        if (probe.failPart === partNumber) throw new Error("injected: part upload failed");
        return upload.uploadPart(partNumber, value);
      },
      async complete(parts) {
        probe.calls.push("complete");
        return upload.complete(parts);
      },
      async abort() {
        probe.calls.push("abort");
        return upload.abort();
      },
    };
  }
}
