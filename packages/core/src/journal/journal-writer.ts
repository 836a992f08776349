import type { Undo } from "../graph/knowledge-graph.ts";
import type { AppendLog } from "../storage/adapter.ts";

/**
 * How a commit is made durable:
 * - `"fsync"` (default): acknowledged after its journal record is written and fdatasync'd.
 *   Survives a process crash and a power loss.
 * - `"batched"`: acknowledged after the write reaches the OS; an fdatasync follows within
 *   `batchDelayMs`. Survives a process crash (`kill -9`); a power loss may lose the changes
 *   acknowledged in the last `batchDelayMs`.
 * - `"none"`: never synced except at compaction and close. For tests and benchmarks only.
 */
export type Durability = "fsync" | "batched" | "none";

interface Pending {
  line: string;
  undo: Undo;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface JournalWriterOptions {
  durability?: Durability;
  /** Bound on the delay before an fdatasync in `"batched"` mode (default 50 ms). */
  batchDelayMs?: number;
  /** Called after every successful group write (the store uses it to trigger compaction). */
  afterWrite?: () => void;
  /** Background sync failures in `"batched"` mode, which have no caller to reject. */
  onSyncError?: (err: unknown) => void;
}

const encoder = new TextEncoder();

/**
 * Group commit over an append log. Commits are applied to memory at once and wait here; all
 * that arrive while a write is in flight go out together in the next write, with one
 * fdatasync, so throughput rises with concurrency while each caller still waits for its own
 * record to be durable.
 *
 * A failed write or sync is never retried and then acknowledged: the log is cut back to its
 * last good size, every change not yet durable (the failed group and everything queued since)
 * is undone newest first — memory returns to exactly what is durable — and every waiting
 * caller gets the error. If cutting back fails too, the next group tries again before writing,
 * so the writer recovers once the fault clears.
 */
export class JournalWriter {
  readonly #durability: Durability;
  readonly #batchDelayMs: number;
  readonly #options: JournalWriterOptions;
  #log: AppendLog;
  #pending: Pending[] = [];
  #running: Promise<void> | null = null;
  /** Bytes of the log that hold acknowledged records. */
  #goodSize: number;
  #needsTruncate = false;
  #syncTimer: ReturnType<typeof setTimeout> | null = null;
  #unsynced = false;
  /** Lines written since `mark()`, for compaction's journal reset. */
  #marked: string[] | null = null;
  #records = 0;

  constructor(log: AppendLog, options: JournalWriterOptions = {}) {
    this.#log = log;
    this.#goodSize = log.size;
    this.#durability = options.durability ?? "fsync";
    this.#batchDelayMs = options.batchDelayMs ?? 50;
    this.#options = options;
  }

  get durability(): Durability {
    return this.#durability;
  }

  /** Size in bytes of the acknowledged journal. */
  get size(): number {
    return this.#goodSize;
  }

  /** Records written through this writer since it was created or last reset. */
  get records(): number {
    return this.#records;
  }

  /** Queues one commit's journal line; resolves once it is durable (per the durability mode). */
  enqueue(line: string, undo: Undo): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ line, undo, resolve, reject });
      if (!this.#running) this.#running = this.#loop();
    });
  }

  /** Resolves when nothing is queued or being written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Starts collecting the lines written from now on (see `takeMarked`). */
  mark(): void {
    this.#marked = [];
  }

  /** The lines written since `mark()`, and stops collecting. */
  takeMarked(): string[] {
    const lines = this.#marked ?? [];
    this.#marked = null;
    return lines;
  }

  /**
   * Swaps in a new log (after compaction replaced the journal file). Call only when drained;
   * `records` is the number of records the new log already holds.
   */
  replaceLog(log: AppendLog, records: number): void {
    this.#log = log;
    this.#goodSize = log.size;
    this.#needsTruncate = false;
    this.#records = records;
  }

  /** Flushes and fdatasyncs whatever is unsynced (batched/none modes, compaction, close). */
  async sync(): Promise<void> {
    await this.drain();
    this.#clearTimer();
    if (this.#unsynced) {
      try {
        await this.#log.sync();
      } catch (err) {
        this.#needsTruncate = true;
        throw err;
      }
      this.#unsynced = false;
    }
  }

  #clearTimer(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending;
        this.#pending = [];
        try {
          if (this.#needsTruncate) {
            await this.#log.truncate(this.#goodSize);
            this.#needsTruncate = false;
          }
          const text = group.length === 1 ? group[0]!.line : group.map((p) => p.line).join("");
          await this.#log.append(encoder.encode(text), { sync: this.#durability === "fsync" });
        } catch (err) {
          await this.#fail(group, err);
          continue;
        }
        this.#goodSize = this.#log.size;
        this.#records += group.length;
        if (this.#marked) for (const p of group) this.#marked.push(p.line);
        if (this.#durability !== "fsync") this.#scheduleSync();
        for (const p of group) p.resolve();
        this.#options.afterWrite?.();
      }
    } finally {
      this.#running = null;
    }
  }

  async #fail(group: Pending[], err: unknown): Promise<void> {
    this.#needsTruncate = true;
    try {
      await this.#log.truncate(this.#goodSize);
      this.#needsTruncate = false;
    } catch {
      // Retried before the next write; until then nothing more is written.
    }
    const notDurable = [...group, ...this.#pending];
    this.#pending = [];
    for (let i = notDurable.length - 1; i >= 0; i--) notDurable[i]!.undo();
    for (const p of notDurable) p.reject(err);
  }

  #scheduleSync(): void {
    this.#unsynced = true;
    if (this.#durability !== "batched" || this.#syncTimer) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null;
      if (!this.#unsynced) return;
      this.#unsynced = false;
      this.#log.sync().catch((err: unknown) => {
        // After a failed fsync the kernel may have dropped dirty pages: the log must be cut
        // back to a known size (a no-op truncate clears the adapter's "unconfirmed" state)
        // before anything else is appended.
        this.#unsynced = true;
        this.#needsTruncate = true;
        this.#options.onSyncError?.(err);
      });
    }, this.#batchDelayMs);
  }

  /** Stops the background sync timer (the store calls `sync()` first). */
  dispose(): void {
    this.#clearTimer();
  }
}
