import type { FeedLimits } from "@dawsos/api";
import { type ChangeRetention, isActorLabel } from "@dawsos/core";
import type { WorkerEnv } from "./env.ts";

/** The change feed's configuration, from the same `DAWSOS_*` names as on the Node server. */
export interface FeedConfig {
  /** `DAWSOS_API_TOKEN_LABEL`: the `actor` of API changes. */
  tokenLabel?: string;
  changeRetention?: Partial<ChangeRetention>;
  feedLimits?: Partial<FeedLimits>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the feed's variables; an unset one keeps its default. A malformed one throws, naming
 * it: the object then refuses to open (as the Node server refuses to start) rather than run
 * with a retention nobody asked for.
 */
export function readFeedConfig(env: WorkerEnv): FeedConfig {
  const label = env.DAWSOS_API_TOKEN_LABEL;
  if (label !== undefined && label !== "" && !isActorLabel(label)) {
    throw new Error("invalid configuration: DAWSOS_API_TOKEN_LABEL must be 1-128 printable ASCII characters");
  }
  const days = number(env, "DAWSOS_CHANGES_MAX_AGE_DAYS", 36_500, false);
  return {
    tokenLabel: label || undefined,
    changeRetention: defined({
      maxRecords: number(env, "DAWSOS_CHANGES_MAX_RECORDS", 100_000_000),
      maxAgeMs: days === undefined ? undefined : days * DAY_MS,
    }),
    feedLimits: defined({
      maxSubscribers: number(env, "DAWSOS_FEED_MAX_SUBSCRIBERS", 100_000, true, 1),
      maxLag: number(env, "DAWSOS_FEED_MAX_LAG", 10_000_000, true, 1),
      heartbeatMs: number(env, "DAWSOS_FEED_HEARTBEAT_MS", 3_600_000, true, 100),
      resyncGraceMs: number(env, "DAWSOS_FEED_RESYNC_GRACE_MS", 3_600_000),
    }),
  };
}

/** Without the unset members: spread over defaults, an `undefined` would replace the default. */
function defined<T extends object>(values: { [K in keyof T]: T[K] | undefined }): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type FeedVariable = Extract<keyof WorkerEnv, `DAWSOS_${"CHANGES" | "FEED"}_${string}`>;

/** A whole (or, with `whole` false, decimal) number in `[min, max]`; `undefined` when unset. */
function number(env: WorkerEnv, name: FeedVariable, max: number, whole = true, min = 0): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  // wrangler.jsonc `vars` may hold a JSON number as well as a string.
  const text = String(raw);
  const value = Number(text);
  if (!(whole ? /^\d+$/ : /^\d+(\.\d+)?$/).test(text) || value < min || value > max) {
    throw new Error(
      `invalid configuration: ${name} must be a ${whole ? "whole " : ""}number from ${min} to ${max}`,
    );
  }
  return value;
}
