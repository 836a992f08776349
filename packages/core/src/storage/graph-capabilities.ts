import { UnsupportedStorageError } from "../errors/errors.ts";
import type { StorageAdapter } from "./adapter.ts";

/**
 * Refuses, before anything is read or written, an adapter that cannot hold the graph:
 *
 * - an eventually consistent one (Workers KV): a reader could see an old graph, and two
 *   writers' last-write-wins would silently drop acknowledged changes;
 * - one with neither compare-and-swap (`conditionalWrites`) nor a durable append: commits could
 *   neither be ordered against other writers nor made durable one record at a time.
 */
export function assertGraphStorage(storage: StorageAdapter): void {
  const { capabilities, kind } = storage;
  if (capabilities.consistency !== "strong") {
    throw new UnsupportedStorageError(
      `${kind} storage is eventually consistent: the graph needs strongly consistent storage`,
      { details: { kind, capabilities } },
    );
  }
  if (!capabilities.conditionalWrites && !capabilities.durableAppend) {
    throw new UnsupportedStorageError(
      `${kind} storage has neither conditional writes nor a durable append: it cannot hold the graph`,
      { details: { kind, capabilities } },
    );
  }
}
