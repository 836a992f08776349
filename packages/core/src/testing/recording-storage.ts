import type {
  AppendLog,
  ListedObject,
  PutOptions,
  PutResult,
  StorageAdapter,
  StoredObject,
} from "../storage/adapter.ts";

export interface StorageCall {
  op: "get" | "put" | "delete" | "list" | "append" | "open_log" | "truncate";
  key: string;
}

export interface RecordingStorageOptions {
  /**
   * Forward the inner adapter's `openAppendLog` (recording `open_log`, and `append` and
   * `truncate` on the log). Off by default, so code that picks a path by the presence of
   * `openAppendLog` takes its path for adapters without one.
   */
  appendLogs?: boolean;
}

/**
 * Wraps an adapter, recording every call and optionally failing chosen ones. Tests use it to
 * prove that bad ids are rejected before storage is touched, and that failed writes roll back.
 */
export class RecordingStorage implements StorageAdapter {
  readonly calls: StorageCall[] = [];
  /** Return an error to make that call fail (before it reaches the inner adapter). */
  failWith: ((call: StorageCall) => Error | undefined) | undefined;

  readonly openAppendLog?: (key: string) => Promise<AppendLog>;

  constructor(
    readonly inner: StorageAdapter,
    options: RecordingStorageOptions = {},
  ) {
    const open = inner.openAppendLog?.bind(inner);
    if (options.appendLogs && open) {
      this.openAppendLog = async (key) => {
        this.#record({ op: "open_log", key });
        return this.#recordedLog(key, await open(key));
      };
    }
  }

  #recordedLog(key: string, log: AppendLog): AppendLog {
    return {
      get size() {
        return log.size;
      },
      append: async (bytes, options) => {
        this.#record({ op: "append", key });
        return log.append(bytes, options);
      },
      sync: () => log.sync(),
      truncate: async (size) => {
        this.#record({ op: "truncate", key });
        return log.truncate(size);
      },
      close: () => log.close(),
    };
  }

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
