import type { Undo } from "../graph/knowledge-graph.ts";

interface Pending {
  undo: Undo;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit. Changes are applied to memory at once, then wait here until a `persist` call
 * that started after them completes. Callers that arrive while a persist is running share the
 * next one, so one durable write acknowledges many changes.
 *
 * If a persist fails, *every* change that is not yet durable (the failed group and any that
 * arrived since) is undone newest first — memory returns to exactly what is durable — and
 * every waiting caller gets the error. Nothing is retried and then acknowledged.
 */
export class PersistQueue {
  #pending: Pending[] = [];
  #running: Promise<void> | null = null;

  constructor(private readonly persist: () => Promise<void>) {}

  /** Resolves once the change whose undo is given is durable. */
  enqueue(undo: Undo): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ undo, resolve, reject });
      if (!this.#running) this.#running = this.#loop();
    });
  }

  /** Resolves when nothing is waiting or being written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  get size(): number {
    return this.#pending.length;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending;
        this.#pending = [];
        try {
          await this.persist();
        } catch (err) {
          const notDurable = [...group, ...this.#pending];
          this.#pending = [];
          for (let i = notDurable.length - 1; i >= 0; i--) notDurable[i]!.undo();
          for (const p of notDurable) p.reject(err);
          continue;
        }
        for (const p of group) p.resolve();
      }
    } finally {
      this.#running = null;
    }
  }
}
