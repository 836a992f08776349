import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/api-error.ts";

export type LiveValue<T> =
  | { status: "loading" }
  | { status: "ok"; value: T }
  | { status: "error"; error: unknown };

const CONCURRENCY = 3;

/**
 * Fetches one value per key (`GET /api/data/...`) a few at a time. The first answer that says
 * the route is missing (404) or its capability is not configured (503) stops the rest: every
 * other key would get the same answer, and the view shows one "not available" notice instead.
 */
export function useLiveValues<T>(
  keys: readonly string[],
  url: (key: string) => string,
  fetchJson: (url: string, signal: AbortSignal) => Promise<T>,
): { values: ReadonlyMap<string, LiveValue<T>>; unavailable: unknown; refresh: () => void } {
  const [values, setValues] = useState<ReadonlyMap<string, LiveValue<T>>>(new Map());
  const [unavailable, setUnavailable] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const urlRef = useRef(url);
  urlRef.current = url;
  const fetchRef = useRef(fetchJson);
  fetchRef.current = fetchJson;
  const keyList = keys.join("\n");

  useEffect(() => {
    const controller = new AbortController();
    const queue = keyList === "" ? [] : keyList.split("\n");
    setUnavailable(null);
    setValues(new Map(queue.map((k) => [k, { status: "loading" }])));
    let stopped = false;
    const set = (key: string, value: LiveValue<T>) =>
      setValues((prev) => {
        const next = new Map(prev);
        next.set(key, value);
        return next;
      });
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined && !stopped; key = queue.shift()) {
        try {
          set(key, { status: "ok", value: await fetchRef.current(urlRef.current(key), controller.signal) });
        } catch (error) {
          if (controller.signal.aborted) return;
          if (stopsAll(error)) {
            stopped = true;
            setUnavailable(error);
            return;
          }
          set(key, { status: "error", error });
        }
      }
    };
    for (let i = 0; i < CONCURRENCY; i++) void worker();
    return () => {
      stopped = true;
      controller.abort();
    };
  }, [keyList, tick]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { values, unavailable, refresh };
}

/**
 * Answers that hold for every key: the route is missing (our API says `no such route`) or the
 * capability is not configured (503 `not_configured`). Any other error belongs to its row.
 */
function stopsAll(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.status === 503 || (error.status === 404 && error.message === "no such route");
}
