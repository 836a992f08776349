import { isIP } from "node:net";
import { resolve } from "node:path";
import { DEFAULT_FMP_BASE_URL, DEFAULT_FRED_BASE_URL } from "@dawsos/core";
import { LOCK_WAIT_MS } from "@dawsos/storage-fs";
import { z } from "zod";
import { parseSchedule } from "./schedule.ts";

/** Node server configuration (SPEC section 2), read from the environment and validated. */
export interface ServerConfig {
  port: number;
  host: string;
  storageDir: string;
  token: string | undefined;
  seedFile: string | undefined;
  corsOrigins: string[];
  /**
   * Host names served besides loopback ones when there is no token (`DAWSOS_ALLOWED_HOSTS`,
   * lower-cased); any other `Host` gets 403. Unused with a token.
   */
  allowedHosts: string[];
  /** FRED capability; `undefined` key → the FRED routes answer 503 `not_configured`. */
  fredApiKey: string | undefined;
  fredBaseUrl: string;
  /** Market quotes (Financial Modeling Prep); same rule. */
  fmpApiKey: string | undefined;
  fmpBaseUrl: string;
  /** Cron expression for `morning_briefing` (server's local time zone), or `undefined`. */
  schedule: string | undefined;
  /** How long to wait for a live previous holder of the writer lock before refusing (ms). */
  lockWaitMs: number;
  /** Session retention: sessions kept, and how long an idle one is kept. */
  sessionMaxCount: number;
  sessionMaxAgeMs: number;
  /** `DAWSOS_API_TOKEN_LABEL`: recorded as the `actor` of API changes (never the token). */
  tokenLabel: string | undefined;
  /** The change feed's retained tail (`changes/`). */
  changeRetention: { maxRecords: number; maxAgeMs: number };
  /** SSE change streams: how many at once, lag bound, heartbeat. */
  feed: { maxSubscribers: number; maxLag: number; heartbeatMs: number; resyncGraceMs: number };
}

/** Ten minutes: a bound beyond this is a typo (seconds for ms), not a wish to hang that long. */
const MAX_LOCK_WAIT_MS = 600_000;

const DAY_MS = 24 * 60 * 60 * 1000;

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith("127."));
}

/** Shared with the CLI (`readChangeRetention`): its compactions must keep what the server keeps. */
const RetentionSchema = z.object({
  DAWSOS_CHANGES_MAX_RECORDS: wholeNumber(0, 100_000_000).default(10_000),
  DAWSOS_CHANGES_MAX_AGE_DAYS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "must be a number of days, e.g. 7 or 0.5")
    .transform(Number)
    .refine((n) => n <= 36_500, "must be at most 36500")
    .default(7),
});

function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);
}

const EnvSchema = RetentionSchema.extend({
  DAWSOS_API_TOKEN_LABEL: z
    .string()
    .regex(/^[\x20-\x7e]{1,128}$/, "must be 1-128 printable ASCII characters")
    .optional(),
  DAWSOS_FEED_MAX_SUBSCRIBERS: wholeNumber(1, 100_000).default(100),
  DAWSOS_FEED_MAX_LAG: wholeNumber(1, 10_000_000).default(1000),
  DAWSOS_FEED_HEARTBEAT_MS: wholeNumber(100, 3_600_000).default(15_000),
  DAWSOS_FEED_RESYNC_GRACE_MS: wholeNumber(0, 3_600_000).default(30_000),
  PORT: z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 0 && n <= 65_535, "must be between 0 and 65535")
    .default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
  DAWSOS_STORAGE_DIR: z.string().min(1).optional(),
  DAWSOS_API_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
  DAWSOS_SEED: z.string().min(1).optional(),
  DAWSOS_LOCK_WAIT_MS: lockWaitMs(),
  DAWSOS_CORS_ORIGINS: z.string().optional(),
  DAWSOS_ALLOWED_HOSTS: z.string().max(4096).optional(),
  FRED_API_KEY: apiKey(),
  FRED_BASE_URL: baseUrl().default(DEFAULT_FRED_BASE_URL),
  FMP_API_KEY: apiKey(),
  FMP_BASE_URL: baseUrl().default(DEFAULT_FMP_BASE_URL),
  DAWSOS_SCHEDULE: z
    .string()
    .max(256)
    .refine((v) => parseSchedule(v) !== null, {
      message: 'must be a cron expression such as "0 7 * * 1-5" (minute hour day month weekday)',
    })
    .optional(),
  DAWSOS_SESSION_MAX_COUNT: z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 10_000_000, "must be between 1 and 10000000")
    .default(1000),
  DAWSOS_SESSION_MAX_AGE_DAYS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "must be a number of days, e.g. 30 or 0.5")
    .transform(Number)
    .refine((n) => n > 0 && n <= 36_500, "must be more than 0 and at most 36500")
    .default(30),
});

/** Shared with the CLI's writing commands (`readLockWaitMs`). */
function lockWaitMs() {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number of milliseconds")
    .transform(Number)
    .refine((n) => n <= MAX_LOCK_WAIT_MS, `must be at most ${MAX_LOCK_WAIT_MS}`)
    .default(LOCK_WAIT_MS);
}

/** Keys go into URLs: printable ASCII without spaces, so a pasted newline cannot split a request. */
function apiKey() {
  return z
    .string()
    .max(256)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional();
}

function baseUrl() {
  return z
    .string()
    .max(2048)
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), "must be an http(s) URL");
}

/** Parses the environment; throws an Error whose message says exactly which variable is wrong. */
export function readConfig(env: NodeJS.ProcessEnv, cwd: string): ServerConfig {
  const e = parseEnv(EnvSchema, env);
  if (!isLoopback(e.HOST) && !e.DAWSOS_API_TOKEN) {
    throw new Error(
      `refusing to listen on ${e.HOST} without DAWSOS_API_TOKEN: set a token, or use HOST=127.0.0.1 for local use`,
    );
  }
  const origins = (e.DAWSOS_CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new Error(`invalid configuration: DAWSOS_CORS_ORIGINS: bad origin ${origin}`);
  }
  const hosts = allowedHosts(e.DAWSOS_ALLOWED_HOSTS);
  return {
    port: e.PORT,
    host: e.HOST,
    storageDir: resolve(cwd, e.DAWSOS_STORAGE_DIR ?? "storage"),
    token: e.DAWSOS_API_TOKEN,
    seedFile: e.DAWSOS_SEED ? resolve(cwd, e.DAWSOS_SEED) : undefined,
    corsOrigins: origins,
    allowedHosts: hosts,
    fredApiKey: e.FRED_API_KEY,
    fredBaseUrl: e.FRED_BASE_URL,
    fmpApiKey: e.FMP_API_KEY,
    fmpBaseUrl: e.FMP_BASE_URL,
    schedule: e.DAWSOS_SCHEDULE,
    lockWaitMs: e.DAWSOS_LOCK_WAIT_MS,
    sessionMaxCount: e.DAWSOS_SESSION_MAX_COUNT,
    sessionMaxAgeMs: e.DAWSOS_SESSION_MAX_AGE_DAYS * DAY_MS,
    tokenLabel: e.DAWSOS_API_TOKEN_LABEL,
    changeRetention: retentionOf(e),
    feed: {
      maxSubscribers: e.DAWSOS_FEED_MAX_SUBSCRIBERS,
      maxLag: e.DAWSOS_FEED_MAX_LAG,
      heartbeatMs: e.DAWSOS_FEED_HEARTBEAT_MS,
      resyncGraceMs: e.DAWSOS_FEED_RESYNC_GRACE_MS,
    },
  };
}

function retentionOf(e: z.output<typeof RetentionSchema>) {
  return { maxRecords: e.DAWSOS_CHANGES_MAX_RECORDS, maxAgeMs: e.DAWSOS_CHANGES_MAX_AGE_DAYS * DAY_MS };
}

/** `DAWSOS_CHANGES_*` alone, for the CLI; throws like `readConfig`. */
export function readChangeRetention(env: NodeJS.ProcessEnv): ServerConfig["changeRetention"] {
  return retentionOf(parseEnv(RetentionSchema, env));
}

/** `DAWSOS_LOCK_WAIT_MS` alone, for the CLI's writing commands; throws like `readConfig`. */
export function readLockWaitMs(env: NodeJS.ProcessEnv): number {
  return parseEnv(z.object({ DAWSOS_LOCK_WAIT_MS: lockWaitMs() }), env).DAWSOS_LOCK_WAIT_MS;
}

/**
 * `DAWSOS_PROGRESS`, for the CLI: `auto` (the default) draws progress bars only on a terminal,
 * `always` draws them anywhere (plain lines every 2 s when not a terminal), `never` draws none.
 */
export function readProgressMode(env: NodeJS.ProcessEnv): "auto" | "always" | "never" {
  const schema = z.object({ DAWSOS_PROGRESS: z.enum(["auto", "always", "never"]).default("auto") });
  return parseEnv(schema, env).DAWSOS_PROGRESS;
}

/** Empty variables count as unset (`PORT= pnpm start`); a problem names its variable. */
function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(clean);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

/** A DNS name (`_` too, as in container names) or an IPv4 address; bracketed IPv6 apart. */
const HOST_NAME = /^(?=.{1,253}$)[\w](?:[\w-]{0,61}\w)?(?:\.\w(?:[\w-]{0,61}\w)?)*$/;

/**
 * `DAWSOS_ALLOWED_HOSTS`: comma-separated host names as a browser puts them in `Host`, without
 * scheme or port (every port of an allowed name is allowed).
 */
function allowedHosts(value: string | undefined): string[] {
  const hosts = (value ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const host of hosts) {
    const ipv6 = /^\[[0-9a-f:.]+\]$/.test(host) && isIP(host.slice(1, -1)) === 6;
    if (!ipv6 && !HOST_NAME.test(host)) {
      throw new Error(
        `invalid configuration: DAWSOS_ALLOWED_HOSTS: bad host name ${JSON.stringify(host)} (a name without scheme or port, e.g. dawsos.lan)`,
      );
    }
  }
  return hosts;
}
