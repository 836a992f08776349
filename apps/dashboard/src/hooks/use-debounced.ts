import { useCallback, useEffect, useRef } from "preact/hooks";

export interface DebounceOptions {
  /** Quiet time after the last call before `fn` runs: a burst of calls runs it once. */
  delayMs: number;
  /** A steady stream of calls still runs it at least this often. */
  maxWaitMs: number;
}

/**
 * A stable function that runs the latest `fn` once calls have paused for `delayMs` (and at
 * least every `maxWaitMs` while they keep coming). Pending calls are dropped on unmount.
 */
export function useDebouncedCallback(fn: () => void, { delayMs, maxWaitMs }: DebounceOptions): () => void {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const firstPending = useRef<number | null>(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    const now = Date.now();
    firstPending.current ??= now;
    clearTimeout(timer.current);
    const wait = Math.max(0, Math.min(delayMs, firstPending.current + maxWaitMs - now));
    timer.current = setTimeout(() => {
      firstPending.current = null;
      fnRef.current();
    }, wait);
  }, [delayMs, maxWaitMs]);
}
