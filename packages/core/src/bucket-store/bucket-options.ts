import type { HasherFactory } from "../integrity/sha256.ts";
import type { Clock } from "../util/clock.ts";
import type { BackoffPolicy } from "./backoff.ts";
import type { BucketEvent } from "./bucket-events.ts";

export interface BucketGraphStoreOptions {
  /** Document used to initialise an empty bucket (any accepted format). Default: the shipped seed. */
  seed?: unknown;
  clock?: Clock;
  hasher?: HasherFactory;
  /** Retry pacing when another writer committed first. */
  backoff?: Partial<BackoffPolicy>;
  /** Randomness for backoff jitter (tests pass a seeded one). */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Fold the journal into a new snapshot past this many journal objects. Default 64. */
  compactAfterRecords?: number;
  /** … or past this many journal bytes. Default 1 MiB. */
  compactAfterBytes?: number;
  /** Versions kept (newest first). Default 20. */
  versionRetention?: number;
  /** Backups kept (newest first). Default 30. */
  backupRetention?: number;
  onEvent?: (event: BucketEvent) => void;
}

/** How often this instance revalidated, caught up and (re)loaded the whole graph. */
export interface BucketLoadCounters {
  /** Head reads (one per `refresh`, commit attempt and compaction retry). */
  revalidations: number;
  /** Whole-graph loads: snapshot object plus its journal. */
  fullLoads: number;
  /** Journal objects applied to catch up with other writers. */
  recordsCaughtUp: number;
}
