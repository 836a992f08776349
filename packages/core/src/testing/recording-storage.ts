import type {
  ListedObject,
  PutOptions,
  PutResult,
  StorageAdapter,
  StoredObject,
} from "../storage/adapter.ts";

export interface StorageCall {
  op: "get" | "put" | "delete" | "list" | "append";
  key: string;
}

/**
 * Wraps an adapter, recording every call and optionally failing chosen ones. Tests use it to
 * prove that bad ids are rejected before storage is touched, and that failed writes roll back.
 */
export class RecordingStorage implements StorageAdapter {
  readonly calls: StorageCall[] = [];
  /** Return an error to make that call fail (before it reaches the inner adapter). */
  failWith: ((call: StorageCall) => Error | undefined) | undefined;

  constructor(readonly inner: StorageAdapter) {}

  get kind(): string {
    return this.inner.kind;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  #record(call: StorageCall): void {
    this.calls.push(call);
    const err = this.failWith?.(call);
    if (err) throw err;
  }

  async get(key: string): Promise<StoredObject | null> {
    this.#record({ op: "get", key });
    return this.inner.get(key);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<PutResult> {
    this.#record({ op: "put", key });
    return this.inner.put(key, body, options);
  }

  async delete(key: string): Promise<boolean> {
    this.#record({ op: "delete", key });
    return this.inner.delete(key);
  }

  async list(prefix: string): Promise<ListedObject[]> {
    this.#record({ op: "list", key: prefix });
    return this.inner.list(prefix);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
