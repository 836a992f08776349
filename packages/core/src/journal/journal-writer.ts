import type { Undo } from "../graph/knowledge-graph.ts";
import type { AppendLog, StorageAdapter } from "../storage/adapter.ts";
import { emulatedAppendLog } from "./emulated-append-log.ts";

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

/**
 * One commit's work, done when its group forms: validate, encode the journal line, apply to
 * memory. Returns the line and how to undo the apply, or `null` when there is nothing to write.
 * Throwing refuses this commit alone; it must have changed nothing.
 *
 * `acknowledged`, if given, runs once the line is acknowledged (per the durability mode), in
 * journal order, right before the caller's promise resolves — never for a commit whose write
 * failed. The change feed publishes from here, so it shows acknowledged changes only.
 */
export type PrepareCommit = () => { line: string; undo: Undo; acknowledged?: () => void } | null;

interface Pending {
  prepare: PrepareCommit;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Prepared extends Pending {
  line: string;
  undo: Undo;
  acknowledged: (() => void) | undefined;
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
 * Group commit over an append log. Commits queue here; when a group forms, each one is prepared
 * in turn (validated, encoded, applied to memory), and all of them go out in one write with one
 * fdatasync, so throughput rises with concurrency while each caller still waits for its own
 * record to be durable.
 *
 * Nothing that is not durable is visible: changes are applied only while their group is being
 * written, and `settled()` lets a reader wait for that write to finish (the writer then yields
 * once before preparing the next group, so waiting readers run against exactly the durable
 * state). A change that is rolled back was therefore never observed.
 *
 * A failed write or sync is never retried and then acknowledged: the log is cut back to its
 * last good size, the group's changes are undone newest first (memory returns to exactly what
 * is durable) and its callers get the error; commits queued behind it were not applied yet and
 * are tried in the next group. If cutting back fails, the next group tries again before
 * writing, so the writer recovers once the fault clears.
 */
export class JournalWriter {
  readonly #durability: Durability;
  readonly #batchDelayMs: number;
  readonly #options: JournalWriterOptions;
  readonly #storage: StorageAdapter;
  readonly #key: string;
  #log: AppendLog;
  /** The file was replaced but could not be reopened: reopen before the next write. */
  #lost = false;
  #pending: Pending[] = [];
  #running: Promise<void> | null = null;
  #looping = false;
  /** Resolves when the group being written is settled; set only while changes are applied but not durable. */
  #inFlight: Promise<void> | null = null;
  /** A reader waits for `#inFlight`: yield to it before preparing the next group. */
  #readerWaiting = false;
  /** Bytes of the log that hold acknowledged records. */
  #goodSize: number;
  #needsTruncate = false;
  #syncTimer: ReturnType<typeof setTimeout> | null = null;
  #unsynced = false;
  /** Lines written since `mark()`, for compaction's journal reset. */
  #marked: string[] | null = null;
  #records = 0;

  private constructor(storage: StorageAdapter, key: string, log: AppendLog, options: JournalWriterOptions) {
    this.#storage = storage;
    this.#key = key;
    this.#log = log;
    this.#goodSize = log.size;
    this.#durability = options.durability ?? "fsync";
    this.#batchDelayMs = options.batchDelayMs ?? 50;
    this.#options = options;
  }

  /**
   * Opens the journal file `key` of `storage` for appending (the adapter's durable append, or an
   * emulation over `put`). `records` is how many it holds; `cutTo` drops a torn tail first (a
   * crash mid-append: the incomplete record was never acknowledged), so the next append starts
   * on a clean line.
   */
  static async open(
    storage: StorageAdapter,
    key: string,
    options: JournalWriterOptions & { records: number; cutTo?: number },
  ): Promise<JournalWriter> {
    const log = await openLog(storage, key);
    const writer = new JournalWriter(storage, key, log, options);
    if (options.cutTo !== undefined && options.cutTo < log.size) {
      await log.truncate(options.cutTo);
      writer.#goodSize = log.size;
    }
    writer.#records = options.records;
    return writer;
  }

  /**
   * Replaces the whole file with `text` holding `records` records (compaction's journal reset;
   * call only when drained). The log is closed first and the file that is there afterwards is
   * reopened — also when writing failed, so the writer never keeps a closed log. If reopening
   * fails, the next write retries it.
   */
  async rewrite(text: string, records: number): Promise<void> {
    try {
      // Everything was synced before; a close that reports an error still frees the descriptor.
      await this.#log.close().catch(() => undefined);
      await this.#storage.put(this.#key, text);
    } finally {
      this.#lost = true;
      await this.#reopen(records);
    }
  }

  async #reopen(records: number): Promise<void> {
    this.#log = await openLog(this.#storage, this.#key);
    this.#goodSize = this.#log.size;
    this.#needsTruncate = false;
    this.#records = records;
    this.#lost = false;
  }

  /** Stops the background sync and closes the file (after `sync()`). */
  async close(): Promise<void> {
    this.#clearTimer();
    await this.#log.close();
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

  /**
   * Queues one commit; `prepare` runs when its group forms. Resolves once its line is durable
   * (per the durability mode); rejects with what `prepare` threw, or with the write's error.
   */
  submit(prepare: PrepareCommit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ prepare, resolve, reject });
      if (this.#running) return;
      const run = this.#loop();
      // The loop finishes synchronously when every queued commit is refused in `prepare`:
      // then there is nothing to wait for, and no settled promise may stay behind.
      this.#running = this.#looping ? run : null;
    });
  }

  /**
   * `null` when memory holds only durable changes; otherwise a promise that settles when the
   * group being written does. A reader that awaits it and then reads synchronously (without
   * another await in between) sees acknowledged changes only.
   */
  settled(): Promise<void> | null {
    if (!this.#inFlight) {
      // The reader resumes a microtask from now, not at once: a commit submitted in between
      // (another request, the caller's next line) must not reach memory before it reads. So an
      // idle writer's next group yields to readers first. (While the writer is already yielding,
      // this reader's continuation runs before it resumes; not flagging it then means a steady
      // stream of readers cannot hold writers back for ever.)
      if (!this.#looping) this.#readerWaiting = true;
      return null;
    }
    this.#readerWaiting = true;
    return this.#inFlight;
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
    this.#looping = true;
    /** Size of the group just written (0: none yet, or we already waited for it to rejoin). */
    let lastGroup = 0;
    try {
      // After a group of concurrent writers, the loop stays for their resubmissions even when
      // none has arrived yet: they come back a few microtasks later than this loop resumes, and
      // a loop that had already exited would be restarted by the first one alone — a group of
      // one, a whole fsync for one record, before the others.
      while (this.#pending.length > 0 || lastGroup > 1) {
        if (this.#readerWaiting) {
          // Readers woken by the last group run now, before the next group touches memory.
          this.#readerWaiting = false;
          lastGroup = 0;
          await yieldToReaders();
          continue;
        }
        if (lastGroup > 1 && this.#pending.length < lastGroup) {
          // Concurrent writers: the ones just acknowledged resubmit a few microtasks after their
          // group resolved, later than this loop resumes. Without one turn of the event loop the
          // next group would hold only the early ones, and the rest would wait a whole extra
          // fsync — groups alternating small and large, half the throughput. A lone sequential
          // writer (groups of one) never waits here.
          // A few turns at most, and only while they keep arriving.
          for (let turn = 0; turn < 3 && this.#pending.length < lastGroup; turn++) {
            const before = this.#pending.length;
            await yieldToReaders();
            if (this.#pending.length === before) break;
          }
          lastGroup = 0;
          continue;
        }
        const batch = this.#pending;
        this.#pending = [];
        let settle!: () => void;
        const inFlight = new Promise<void>((resolve) => {
          settle = resolve;
        });
        const group: Prepared[] = [];
        for (const p of batch) {
          let prepared: ReturnType<PrepareCommit>;
          try {
            prepared = p.prepare();
          } catch (err) {
            p.reject(err);
            continue;
          }
          if (prepared === null) p.resolve();
          else {
            if (group.length === 0) this.#inFlight = inFlight;
            group.push({
              prepare: p.prepare,
              resolve: p.resolve,
              reject: p.reject,
              line: prepared.line,
              undo: prepared.undo,
              acknowledged: prepared.acknowledged,
            });
          }
        }
        if (group.length === 0) continue;
        try {
          await this.#write(group);
        } finally {
          this.#inFlight = null;
          settle();
        }
        lastGroup = group.length;
      }
    } finally {
      this.#looping = false;
      this.#running = null;
    }
  }

  async #write(group: Prepared[]): Promise<void> {
    try {
      if (this.#lost) await this.#reopen(this.#records);
      if (this.#needsTruncate) {
        await this.#log.truncate(this.#goodSize);
        this.#needsTruncate = false;
      }
      const text = group.length === 1 ? group[0]!.line : group.map((p) => p.line).join("");
      await this.#log.append(encoder.encode(text), { sync: this.#durability === "fsync" });
    } catch (err) {
      await this.#fail(group, err);
      return;
    }
    this.#goodSize = this.#log.size;
    this.#records += group.length;
    if (this.#marked) for (const p of group) this.#marked.push(p.line);
    if (this.#durability !== "fsync") this.#scheduleSync();
    for (const p of group) {
      // A listener's failure must not strand the callers whose records are already durable.
      try {
        p.acknowledged?.();
      } catch {
        // The feed's listeners never throw; nothing to undo here either way.
      }
      p.resolve();
    }
    this.#options.afterWrite?.();
  }

  async #fail(group: Prepared[], err: unknown): Promise<void> {
    this.#needsTruncate = true;
    try {
      await this.#log.truncate(this.#goodSize);
      this.#needsTruncate = false;
    } catch {
      // Retried before the next write; until then nothing more is written.
    }
    for (let i = group.length - 1; i >= 0; i--) group[i]!.undo();
    for (const p of group) p.reject(err);
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
}

function openLog(storage: StorageAdapter, key: string): Promise<AppendLog> {
  return storage.openAppendLog ? storage.openAppendLog(key) : emulatedAppendLog(storage, key);
}

/**
 * One macrotask: promise continuations (a reader's `await settled()` and the microtask chain of
 * middleware behind it) all run before it. `setImmediate` where the runtime has it (Node, Bun),
 * else a zero timeout.
 */
function yieldToReaders(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return new Promise<void>((resolve) => {
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}
