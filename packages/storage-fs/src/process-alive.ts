/**
 * True when a process with this pid exists on this host (signal 0 probes without signalling).
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
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else. ESRCH (or an out-of-range pid): gone.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
