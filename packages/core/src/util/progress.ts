/**
 * How far a long operation has got — opening, verifying, backing up, restoring or replacing a
 * large graph — for a display such as the CLI's progress bar. Reported from the work itself
 * (bytes as they are read, entries as they are serialised), never estimated from time, so what
 * a display shows is what is done.
 */
export interface Progress {
  /** The step under way, in a few words (`reading graph.json`). Each step counts from 0. */
  readonly step: string;
  readonly unit: "bytes" | "records";
  /** Done so far in this step; never more than `total`. */
  readonly done: number;
  /** The step's size when known before it starts: a file's listed size, a graph's entry count. */
  readonly total?: number;
}

/** Receives progress reports. Called per chunk or so: it must be cheap and must not throw. */
export type OnProgress = (progress: Progress) => void;

/** Adds `amount` (bytes or records) to a step's count and reports it. */
export type ProgressCount = (amount: number) => void;

/** Counts nothing: for callers that report no progress. */
export const IGNORE_PROGRESS: ProgressCount = () => undefined;

/**
 * Starts counting one step: reports it at once with `done: 0` (a display shows the step before
 * its first chunk arrives), then the running count after each call of the returned function.
 * A size listed before the step may be outgrown (a file appended to meanwhile): `done` is
 * capped at `total` rather than showing more than all. Without `onProgress`, counting is free.
 */
export function progressStep(
  onProgress: OnProgress | undefined,
  step: string,
  unit: Progress["unit"],
  total?: number,
): ProgressCount {
  if (!onProgress) return IGNORE_PROGRESS;
  let done = 0;
  const report = () =>
    onProgress(
      total === undefined ? { step, unit, done } : { step, unit, done: Math.min(done, total), total },
    );
  report();
  return (amount) => {
    done += amount;
    report();
  };
}

/**
 * `chunks` passed through unchanged, counting each chunk's bytes as it is read. Closing the
 * result (`return`, which `for await … break` calls) closes the source, so a file stream
 * wrapped here is released exactly as it would be unwrapped.
 */
export function meterChunks(
  chunks: AsyncIterable<Uint8Array>,
  count: ProgressCount,
): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const source = chunks[Symbol.asyncIterator]();
      const iterator: AsyncIterator<Uint8Array> = {
        async next() {
          const result = await source.next();
          if (!result.done) count(result.value.length);
          return result;
        },
      };
      if (source.return) iterator.return = (value) => source.return!(value);
      if (source.throw) iterator.throw = (err) => source.throw!(err);
      return iterator;
    },
  };
}
