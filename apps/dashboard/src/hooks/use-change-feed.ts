import { useContext, useEffect, useRef } from "preact/hooks";
import type { ChangeItem } from "../api/change-types.ts";
import { ChangeBusContext, type LiveListener } from "../live/change-bus.ts";
import { type DebounceOptions, useDebouncedCallback } from "./use-debounced.ts";

/** Calls `listener` with every live event while the component is mounted (the latest `listener`). */
export function useChangeFeed(listener: LiveListener): void {
  const bus = useContext(ChangeBusContext);
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => bus?.subscribe((event) => ref.current(event)), [bus]);
}

/**
 * Runs `refresh` (a re-fetch) when a change record that `relevant` accepts arrives, or when the
 * feed skipped records (a resync: anything may have changed). Debounced, so an agent writing a
 * hundred quotes makes a view ask again once, not a hundred times.
 */
export function useLiveRefresh(
  relevant: (item: ChangeItem) => boolean,
  refresh: () => void,
  options: DebounceOptions = { delayMs: 120, maxWaitMs: 1_000 },
): void {
  const schedule = useDebouncedCallback(refresh, options);
  useChangeFeed((event) => {
    if (event.kind === "resync" || relevant(event.item)) schedule();
  });
}
