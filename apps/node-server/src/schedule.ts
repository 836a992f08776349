import { Cron } from "croner";

/**
 * Cron expressions for `DAWSOS_SCHEDULE`, parsed by croner: the standard five fields (minute hour
 * day-of-month month day-of-week, e.g. `0 7 * * 1-5`) or six with a leading seconds field.
 * Times are in the server's local time zone (set `TZ` to choose it).
 */
const MODE = "5-or-6-parts" as const;

/** The expression as a paused croner job (for validation and `nextRun`), or `null` if invalid. */
export function parseSchedule(expression: string): Cron | null {
  try {
    return new Cron(expression.trim(), { paused: true, mode: MODE });
  } catch {
    return null;
  }
}

export interface Schedule {
  /** When the job fires next, or `null` if never. */
  next(): Date | null;
  stop(): void;
}

/**
 * Runs `task` at every time matching `expression`. A run still going when the next one is due is
 * not started twice (croner's `protect`); a failing run is reported, and the schedule goes on.
 */
export function startSchedule(
  expression: string,
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): Schedule {
  // `unref`: a pending timer must not keep a stopping server alive.
  const job = new Cron(expression.trim(), { mode: MODE, protect: true, unref: true }, async () => {
    try {
      await task();
    } catch (error) {
      onError(error);
    }
  });
  return { next: () => job.nextRun(), stop: () => job.stop() };
}
