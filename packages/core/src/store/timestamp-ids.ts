import { InvalidIdError } from "../errors/errors.ts";

/** Backup and version ids (SPEC section 3): UTC `YYYYmmdd_HHMMSS`, `-N` when a second repeats. */
export const TIMESTAMP_ID = /^\d{8}_\d{6}(-\d+)?$/;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function timestampId(at: Date): string {
  return (
    `${pad(at.getUTCFullYear(), 4)}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}_` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
  );
}

/**
 * Checks an id from outside (HTTP path, CLI argument) against the allow-list pattern *before*
 * any storage key is built from it, so `../x`, `%2e%2e`, absolute paths and NUL never reach
 * the disk.
 */
export function assertTimestampId(id: unknown, what: string): asserts id is string {
  if (typeof id !== "string" || !TIMESTAMP_ID.test(id)) {
    throw new InvalidIdError(`${what} id must match YYYYmmdd_HHMMSS or YYYYmmdd_HHMMSS-N`, {
      details: { field: `${what}_id` },
    });
  }
}

/** ISO time of an id (the `-N` suffix is ignored). */
export function timestampIdToIso(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(id);
  if (!m) return "";
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

/** Orders ids newest first, treating the `-N` suffix numerically. */
export function compareTimestampIdsDesc(a: string, b: string): number {
  const [baseA, nA] = a.split("-");
  const [baseB, nB] = b.split("-");
  if (baseA !== baseB) return baseA! < baseB! ? 1 : -1;
  return Number(nB ?? 1) - Number(nA ?? 1);
}

/** The first free id for `at`: the bare timestamp, then `-2`, `-3`, … */
export function nextTimestampId(at: Date, taken: (id: string) => boolean): string {
  const base = timestampId(at);
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}
