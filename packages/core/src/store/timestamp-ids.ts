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

/** `[base, n]` of an id: `20260101_120000` is n = 1, `20260101_120000-7` is n = 7. */
function parts(id: string): [string, number] {
  const dash = id.indexOf("-");
  return dash < 0 ? [id, 1] : [id.slice(0, dash), Number(id.slice(dash + 1))];
}

/** Orders ids newest first, treating the `-N` suffix numerically (`-10` after `-9`). */
export function compareTimestampIdsDesc(a: string, b: string): number {
  const [baseA, nA] = parts(a);
  const [baseB, nB] = parts(b);
  if (baseA !== baseB) return baseA < baseB ? 1 : -1;
  return nB - nA;
}

/**
 * The id for something made at `at`, newer than every id in `existing` (SPEC section 6: ids
 * are unique within one second and sort in creation order): the bare timestamp when its second
 * is new, else the newest id's second with the next `-N`. A freed id is never handed out again
 * (retention deleting `…_120000` must not make the next backup reuse it and sort oldest), and a
 * clock that steps back still yields an id that sorts newest.
 */
export function nextTimestampId(at: Date, existing: Iterable<string>): string {
  const base = timestampId(at);
  let newest: [string, number] | null = null;
  for (const id of existing) {
    if (!TIMESTAMP_ID.test(id)) continue;
    const p = parts(id);
    if (newest === null || p[0] > newest[0] || (p[0] === newest[0] && p[1] > newest[1])) newest = p;
  }
  if (newest === null || base > newest[0]) return base;
  return `${newest[0]}-${newest[1] + 1}`;
}
