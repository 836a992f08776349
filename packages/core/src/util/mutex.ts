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

/**
 * One `Mutex` per key, created on demand and dropped as soon as nothing waits on it: a caller
 * that names a million keys (a session id per request, say) leaves nothing behind.
 */
export class KeyedMutex {
  readonly #locks = new Map<string, Mutex>();

  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    let lock = this.#locks.get(key);
    if (!lock) {
      lock = new Mutex();
      this.#locks.set(key, lock);
    }
    const held = lock;
    return held.run(task).finally(() => {
      if (held.pending <= 1 && this.#locks.get(key) === held) this.#locks.delete(key);
    });
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#locks.size;
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has settled. */
  async drain(): Promise<void> {
    while (this.#locks.size > 0) await Promise.all([...this.#locks.values()].map((l) => l.drain()));
  }
}
