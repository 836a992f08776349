import type { R2BucketLike, R2ListOptionsLike, R2ObjectsLike } from "../src/index.ts";

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
}
