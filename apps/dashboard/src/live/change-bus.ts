import { createContext } from "preact";
import type { ChangeItem } from "../api/change-types.ts";

/**
 * What the live connection tells the views: a committed change record, or that records were
 * skipped (the feed had to be restarted from a reloaded graph), so anything shown may be stale.
 */
export type LiveEvent = { kind: "change"; item: ChangeItem } | { kind: "resync" };

export type LiveListener = (event: LiveEvent) => void;

/** The app's one live connection fans out to the views through this. */
export class ChangeBus {
  readonly #listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: LiveEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        // One view's failure must not keep the change from the others.
        console.error("a live listener failed", err);
      }
    }
  }
}

/**
 * The bus, provided by the app. A context rather than props so a view deep in the tree (the
 * node panel inside the graph tab) subscribes without every component between passing it on.
 * `null` outside the app (a view then simply does not update live).
 */
export const ChangeBusContext = createContext<ChangeBus | null>(null);
