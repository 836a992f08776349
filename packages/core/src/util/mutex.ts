/**
 * Runs tasks one at a time, in call order: the one in-process lock every package uses (the
 * store's admin operations, append logs, the workflow history, a storage file's writes).
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(task);
    // The chain continues whether the task failed or not; the caller sees the failure.
    this.#tail = result
      .catch(() => undefined)
      .finally(() => {
        this.#queued--;
      });
    return result;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.#queued;
  }

  /** Resolves once every task queued so far has settled. */
  async drain(): Promise<void> {
    await this.#tail;
  }
}

interface Queue {
  tail: Promise<unknown>;
  /** Tasks queued or running on this key. */
  pending: number;
}

/**
 * One promise-chain mutex per key, created on demand and dropped as soon as its last task
 * settles: the map holds only keys with work queued or running, so callers cannot grow it by
 * touching many keys (a long-lived server sees one key per id ever used otherwise).
 *
 * The entry is removed before the caller's promise settles, so `size` is already 0 when the
 * last awaited `run` returns.
 */
export class KeyedMutex {
  readonly #queues = new Map<string, Queue>();

  /** Runs `task` after every earlier task of `key`, in call order. */
  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { tail: Promise.resolve(), pending: 0 };
      this.#queues.set(key, queue);
    }
    const owned = queue;
    owned.pending++;
    const result = owned.tail.then(task).finally(() => {
      owned.pending--;
      if (owned.pending === 0 && this.#queues.get(key) === owned) this.#queues.delete(key);
    });
    // The chain continues whether the task failed or not; the caller sees the failure.
    owned.tail = result.catch(() => undefined);
    return result;
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#queues.size;
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has settled. */
  async drain(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()].map((q) => q.tail));
  }
}
