/**
 * Makes writers wait while a document is being read from the tables, so an export is one
 * consistent snapshot: its pages are separate statements, and a Durable Object runs other
 * requests whenever the export awaits (an R2 write, a slow client).
 *
 * The wait is bounded (`maxHoldMs`): an export whose consumer stalls must not stop every
 * writer. A writer that stops waiting goes ahead; the export then notices the changed `seq`
 * on its next chunk and fails instead of producing a torn document.
 */
export class ExportGate {
  readonly #maxHoldMs: number;
  #holders = 0;
  #released: Promise<void> = Promise.resolve();
  #release: () => void = () => undefined;

  constructor(maxHoldMs: number) {
    this.#maxHoldMs = maxHoldMs;
  }

  /** Starts an export; call the returned function (idempotent) when it is over. */
  hold(): () => void {
    if (this.#holders === 0) {
      this.#released = new Promise<void>((resolve) => {
        this.#release = resolve;
      });
    }
    this.#holders++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#holders === 0) this.#release();
    };
  }

  /** Resolves when no export holds the gate, or after `maxHoldMs` at most. */
  async passage(): Promise<void> {
    if (this.#holders === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#maxHoldMs);
    });
    try {
      while (this.#holders > 0) {
        const released = this.#released;
        const timedOut = await Promise.race([released.then(() => false), timeout.then(() => true)]);
        if (timedOut) return;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
