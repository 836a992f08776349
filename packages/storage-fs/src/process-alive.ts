import { readFileSync } from "node:fs";

/**
 * True when a process with this pid exists on this host and has not died: signal 0 probes
 * without signalling, and on Linux `/proc/<pid>/stat` tells a zombie from a live process.
 *
 * A zombie (state `Z`) or a process being torn down (`X`) has exited: it only waits for its
 * parent to reap it, and it will never write again or release anything. `kill(pid, 0)` still
 * succeeds on it, so without the state check a writer that was SIGKILLed while its parent was
 * busy (or dead too, before init adopted it) looked alive and its lock was refused (issue 10).
 * Elsewhere, or when `/proc` cannot be read (not mounted, `hidepid`), the signal probe alone
 * decides, as it always did.
 *
 * Limitation: pids are reused. A pid that belonged to a crashed writer may now name an
 * unrelated live process, which makes its leftovers (a `.lock`, temp files) look alive until
 * that process exits. That errs on the safe side: nothing of a live writer is ever removed.
 */
export function isProcessAlive(pid: number): boolean {
  // 0 and negative pids address process groups in kill(2): never a single writer.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else. ESRCH (or an out-of-range pid): gone.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = procState(pid);
  return state !== "Z" && state !== "X";
}

/**
 * The state letter of a process from `/proc/<pid>/stat` (`R`, `S`, `D`, `Z`, …), or `null`
 * when it cannot be known: not Linux, `/proc` unreadable, or the process vanished meanwhile
 * (then the caller's signal probe stands; a vanished process is caught by the next probe).
 */
export function procState(pid: number): string | null {
  if (process.platform !== "linux") return null;
  let stat: string;
  try {
    // latin1: one character per byte, so a comm that is not valid UTF-8 cannot hide its ")".
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  return parseProcStatState(stat);
}

/**
 * The state field of a `/proc/<pid>/stat` line, `pid (comm) state ppid …` (proc(5)), or
 * `null` if the line does not have that shape. comm is the process's own name and may contain
 * anything, spaces, `(` and `)` included (a process can rename itself `x) Z (y`), so the state
 * is the first field after the LAST `)`: every field after comm is a number or one letter.
 */
export function parseProcStatState(stat: string): string | null {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const match = /^ ([A-Za-z])(?: |\n|$)/.exec(stat.slice(close + 1));
  return match?.[1] ?? null;
}
