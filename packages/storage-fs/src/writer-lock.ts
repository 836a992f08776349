import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockHeldError, ValidationError } from "@dawsos/core";
import { errnoCode, isMissing } from "./fs-errors.ts";
import type { FsFileHandle, FsOps, FsStat } from "./fs-ops.ts";
import { isProcessAlive } from "./process-alive.ts";

/** The lock file's name in the storage root (SPEC §3). */
export const LOCK_FILE = ".lock";

/**
 * A second name (hard link) for a stale `.lock` while one process takes it over: link(2)
 * fails if it exists, so it is the mutex that makes a takeover exclusive.
 */
export const LOCK_CLAIM_FILE = ".lock.claim";

/**
 * - An unreadable lock file (empty or partial JSON) younger than this may belong to a writer
 *   that has created it but not yet written it; older, it is what a crash at that instant left.
 * - A claim whose link was made longer ago than this was left by a process that crashed in
 *   the middle of a takeover (which takes milliseconds).
 */
export const LOCK_STALE_AFTER_MS = 10_000;

/** A lock file larger than this is not one of ours: treated as unreadable. */
const MAX_LOCK_BYTES = 64 * 1024;

/**
 * How long a starting writer waits by default for a lock held by another process to be
 * released or to go stale (SPEC §2, `DAWSOS_LOCK_WAIT_MS`): a restart right after a stop or a
 * kill finds the previous process still shutting down or dying.
 */
export const LOCK_WAIT_MS = 10_000;

/** How often a waiting writer looks at the lock again: cheap (one small read, one probe). */
const LOCK_POLL_MS = 100;

/** Rounds of create / judge / take over before giving up on a lock that keeps changing hands. */
const MAX_ATTEMPTS = 20;

/** Who holds a storage directory's writer lock, as written in `<root>/.lock`. */
export interface WriterLockInfo {
  readonly pid: number;
  /** `os.hostname()` of the holder: pids are only meaningful on their own host. */
  readonly host: string;
  /** ISO 8601 time the lock was taken. */
  readonly acquired_at: string;
}

export interface WriterLockOptions {
  /** See `LOCK_STALE_AFTER_MS` (the default); tests shorten it. */
  readonly staleAfterMs?: number;
  /**
   * How long to wait, in ms, for a lock held by another process (or host) to be released or
   * to go stale before refusing; `0` refuses at once. Default `LOCK_WAIT_MS`.
   */
  readonly waitMs?: number;
  /** Called when a wait starts, and again if the lock changes hands meanwhile: for a log line. */
  readonly onWait?: (wait: LockWait) => void;
}

/** What a writer is waiting for (`WriterLockOptions.onWait`). */
export interface LockWait {
  /**
   * The holder its lock file names; `null` while the file is unreadable (being written) or
   * another process is taking a stale lock over.
   */
  readonly holder: WriterLockInfo | null;
  /** The whole bound of the wait, in ms. */
  readonly waitMs: number;
  /** One line for a log, naming the holder's pid. */
  readonly message: string;
}

/** The lock file's JSON: the holder plus a random token that makes each lock file unique. */
interface LockRecord extends WriterLockInfo {
  readonly token: string;
}

/** A lock found not stale by one round of `WriterLock.attempt`: why, and the error to throw. */
interface Refusal {
  readonly error: LockHeldError;
  readonly seen: SeenLock | undefined;
  /** `"ours"`: held by this process, which waiting cannot change. */
  readonly reason: "held" | "ours" | "taking-over";
}

/** An existing lock file as we read it: its identity (inode, mtime) and its parsed content. */
interface SeenLock {
  readonly stat: FsStat;
  /** `null` when the content is not a lock record (empty, partial, foreign). */
  readonly record: LockRecord | null;
}

/**
 * The single-writer lock of a storage directory (SPEC §3): a `.lock` file created with
 * O_EXCL holding `{ pid, host, acquired_at, token }`, fsynced, and its directory fsynced, so
 * the lock survives a machine crash exactly as long as the writes it protects.
 *
 * An existing lock is taken over only when it is provably stale:
 * - it names this host and a pid that no longer exists (`kill(pid, 0)` → ESRCH), or
 * - it names this host and this very pid but was taken before this process started (an
 *   earlier process that had our pid: containers restart as pid 1 on the same hostname), or
 * - its content is unreadable (a crash between create and write) and it is older than
 *   `LOCK_STALE_AFTER_MS`.
 * A lock of another host is never taken over: its pid cannot be checked from here. A lock
 * taken by this process during its lifetime (another `FsStorage`, another worker thread or
 * another copy of this module) is held. A zombie holder (SIGKILLed, not yet reaped by its
 * parent) is dead: see `isProcessAlive`.
 *
 * Waiting (`waitMs`, default `LOCK_WAIT_MS`): a lock held by another process is looked at
 * again every `LOCK_POLL_MS` until it is released or goes stale (then it is taken over as
 * above), or until the bound passes (then the refusal is exactly the one without waiting). A
 * restart usually finds the previous writer still flushing after SIGTERM, or being torn down
 * after SIGKILL. A lock of another host is waited for too: its holder cannot be probed, but a
 * clean stop there removes the file, which we do see. A lock of this very process is refused at
 * once: nothing we can observe by waiting changes while our own caller holds it.
 *
 * Limitation: pids are reused. A crashed writer's pid that now belongs to an unrelated live
 * process keeps the lock looking held until that process exits (an operator can remove
 * `.lock` once no writer runs). That errs on the safe side.
 *
 * Taking over, so that of several processes racing for one stale lock exactly one wins:
 * 1. claim it: link(`.lock`, `.lock.claim`) — fails with EEXIST for everyone but one;
 * 2. check the claim names the very file judged stale (same inode and mtime): `.lock` may
 *    have been replaced since we read it, by a racer that finished its takeover first;
 * 3. unlink `.lock`: only the claim holder removes a stale lock, and nothing else can
 *    replace an existing `.lock`, so this removes exactly the stale file;
 * 4. retry the O_EXCL create — which any racer may win: O_EXCL picks one — and only then
 *    drop the claim (the claim keeps the stale inode alive, so its number cannot be reused
 *    by a new lock file and fool step 2 of a slower racer).
 * A `.lock` is therefore never moved away while a live process may hold it. Residual risk:
 * a claim left by a process that crashed mid-takeover is cleared after
 * `LOCK_STALE_AFTER_MS`; two processes clearing one such leftover in the same instant
 * could both claim.
 */
export class WriterLock {
  /** The holder (this process), for logs and `/health`. */
  readonly info: WriterLockInfo;
  readonly #fs: FsOps;
  readonly #root: string;
  readonly #token: string;
  #released: Promise<void> | undefined;

  private constructor(fs: FsOps, root: string, record: LockRecord) {
    this.#fs = fs;
    this.#root = root;
    this.#token = record.token;
    this.info = { pid: record.pid, host: record.host, acquired_at: record.acquired_at };
  }

  /**
   * Takes the writer lock of the storage root `root` (an existing directory), taking over a
   * stale one. Throws `LockHeldError` naming the holder; filesystem failures are rethrown as
   * they are (the caller wraps them).
   */
  static async acquire(fs: FsOps, root: string, options: WriterLockOptions = {}): Promise<WriterLock> {
    const staleAfterMs = options.staleAfterMs ?? LOCK_STALE_AFTER_MS;
    const waitMs = options.waitMs ?? LOCK_WAIT_MS;
    assertLockWaitMs(waitMs);
    const deadline = Date.now() + waitMs;
    let reported: string | undefined;
    for (;;) {
      const outcome = await WriterLock.attempt(fs, root, staleAfterMs);
      if (outcome instanceof WriterLock) return outcome;
      const left = deadline - Date.now();
      if (outcome.reason === "ours" || left <= 0) throw outcome.error;
      // One line per holder waited for, not one per poll.
      const key = `${outcome.reason}:${outcome.seen?.record?.token ?? "unreadable"}`;
      if (key !== reported) {
        reported = key;
        options.onWait?.(lockWait(outcome, waitMs));
      }
      await sleep(Math.min(LOCK_POLL_MS, left));
    }
  }

  /** One round: create, or judge the existing lock and take it over if stale. */
  private static async attempt(fs: FsOps, root: string, staleAfterMs: number): Promise<WriterLock | Refusal> {
    const record: LockRecord = {
      pid: process.pid,
      host: hostname(),
      acquired_at: new Date().toISOString(),
      token: randomBytes(16).toString("hex"),
    };
    const path = join(root, LOCK_FILE);
    const claim = join(root, LOCK_CLAIM_FILE);
    let last: SeenLock | undefined;
    let busy = false;
    let claimed = false;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (await createLockFile(fs, root, path, record)) return new WriterLock(fs, root, record);
        if (claimed) {
          // Our takeover removed the stale lock but a racer created the next one first.
          claimed = false;
          await fs.unlink(claim).catch(() => undefined);
        }
        const seen = await readLock(fs, path);
        if (seen === null) continue; // released (or taken over) just now: create again
        last = seen;
        const verdict = judge(seen, staleAfterMs);
        if (verdict !== "stale") return { error: heldError(seen), seen, reason: verdict };
        const outcome = await takeOver(fs, path, claim, seen, staleAfterMs);
        claimed = outcome === "claimed";
        busy = outcome === "busy";
        if (busy) await sleep(10 + Math.random() * 40); // another process is taking over
      }
    } finally {
      if (claimed) await fs.unlink(claim).catch(() => undefined);
    }
    // Every attempt found a lock that changed hands under us, or another process's takeover
    // in progress (or abandoned, and not yet old enough to clear).
    return { error: heldError(last, busy), seen: last, reason: busy ? "taking-over" : "held" };
  }

  /**
   * Releases the lock: unlinks `.lock` (and fsyncs the directory) only if it still holds our
   * token, so a lock that was taken over (wrongly judged stale) is never removed by us. Safe
   * to call twice.
   */
  release(): Promise<void> {
    this.#released ??= (async () => {
      const path = join(this.#root, LOCK_FILE);
      const seen = await readLock(this.#fs, path);
      if (seen?.record?.token !== this.#token) return;
      await this.#fs.unlink(path);
      await this.#fs.syncDir(this.#root);
    })();
    return this.#released;
  }
}

/**
 * Throws `ValidationError` unless `waitMs` is a finite number ≥ 0: NaN would make the wait's
 * deadline never pass.
 */
export function assertLockWaitMs(waitMs: number): void {
  if (!Number.isFinite(waitMs) || waitMs < 0) {
    throw new ValidationError(`lock wait must be a finite number of ms ≥ 0, not ${waitMs}`, {
      details: { waitMs: String(waitMs) },
    });
  }
}

/**
 * Creates the lock file exclusively and makes it durable. Resolves `false` when a lock file
 * already exists. If writing it fails, the half-made file is removed (it is ours: we created
 * it) so it does not block the next attempt for `LOCK_STALE_AFTER_MS`.
 */
async function createLockFile(fs: FsOps, root: string, path: string, record: LockRecord): Promise<boolean> {
  let handle: FsFileHandle | undefined;
  try {
    handle = await fs.open(path, "wx");
  } catch (err) {
    if (errnoCode(err) === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.write(new TextEncoder().encode(`${JSON.stringify(record)}\n`));
    await handle.sync();
    const opened = handle;
    handle = undefined;
    await opened.close();
    await fs.syncDir(root);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(path).catch(() => undefined);
    throw err;
  }
  return true;
}

/** Reads the lock file through one handle (content and identity agree), or `null` if missing. */
async function readLock(fs: FsOps, path: string): Promise<SeenLock | null> {
  let handle: FsFileHandle;
  try {
    handle = await fs.open(path, "r");
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    const stat = await handle.stat();
    const buffer = new Uint8Array(MAX_LOCK_BYTES + 1);
    let length = 0;
    // Until end of file, or one byte past the limit (then it is not a lock record of ours).
    while (length <= MAX_LOCK_BYTES) {
      const read = await handle.read(buffer.subarray(length), length);
      if (read === 0) break;
      length += read;
    }
    const record = length > MAX_LOCK_BYTES ? null : parseRecord(buffer.subarray(0, length));
    return { stat, record };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function parseRecord(bytes: Uint8Array): LockRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { pid, host, acquired_at, token } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return null;
  if (typeof host !== "string" || host === "" || typeof acquired_at !== "string") return null;
  if (typeof token !== "string" || token === "") return null;
  return { pid: pid as number, host, acquired_at, token };
}

/**
 * Whether `seen` is provably stale, held by another process (or host, or being written), or
 * held by this process (rules in the class comment).
 */
function judge(seen: SeenLock, staleAfterMs: number): "stale" | "held" | "ours" {
  const { record, stat } = seen;
  if (record === null) return Date.now() - stat.mtimeMs > staleAfterMs ? "stale" : "held";
  if (record.host !== hostname()) return "held";
  if (record.pid === process.pid) {
    // Our own pid: taken during our lifetime means by us (another FsStorage or thread).
    // NaN (an unparseable time) compares false: held, the safe answer.
    const acquired = Date.parse(record.acquired_at);
    return acquired < processStartMs() - 1000 ? "stale" : "ours";
  }
  return isProcessAlive(record.pid) ? "held" : "stale";
}

/** When this process started, in epoch ms (the 1 s slack in `judge` absorbs rounding). */
function processStartMs(): number {
  return Date.now() - process.uptime() * 1000;
}

/**
 * Steps 1–3 of a takeover (see `WriterLock`). Resolves `"claimed"` when the stale `.lock` was
 * removed and the claim is ours to drop after the next create; `"changed"` when `.lock`
 * vanished or is no longer the file judged stale (judge again); `"busy"` when another process
 * holds the claim (wait, then look again).
 */
async function takeOver(
  fs: FsOps,
  path: string,
  claim: string,
  seen: SeenLock,
  staleAfterMs: number,
): Promise<"claimed" | "changed" | "busy"> {
  try {
    await fs.link(path, claim);
  } catch (err) {
    if (isMissing(err)) return "changed";
    if (errnoCode(err) !== "EEXIST") throw err;
    await clearAbandonedClaim(fs, claim, staleAfterMs);
    return "busy";
  }
  let keep = false;
  try {
    const claimed = await fs.lstat(claim);
    if (claimed.ino !== seen.stat.ino || claimed.mtimeMs !== seen.stat.mtimeMs) return "changed";
    await fs.unlink(path);
    keep = true;
    return "claimed";
  } finally {
    if (!keep) await fs.unlink(claim).catch(() => undefined);
  }
}

/**
 * Removes a claim whose link is older than `staleAfterMs`: its maker crashed mid-takeover.
 * Linking updates the inode's ctime, which is how the claim's age is known (its mtime is
 * that of the stale lock it names). A claim naming anything is only an extra name: removing
 * it never removes a lock.
 */
async function clearAbandonedClaim(fs: FsOps, claim: string, staleAfterMs: number): Promise<void> {
  try {
    const stat = await fs.lstat(claim);
    if (Date.now() - stat.ctimeMs > staleAfterMs) await fs.unlink(claim);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

function lockWait(refusal: Refusal, waitMs: number): LockWait {
  const record = refusal.seen?.record ?? null;
  const bound = `waiting up to ${waitMs} ms`;
  if (refusal.reason === "taking-over")
    return {
      holder: null,
      waitMs,
      message: `${bound} for another process to finish taking over the stale storage directory lock`,
    };
  if (record === null)
    return {
      holder: null,
      waitMs,
      message: `${bound} for the storage directory lock file (being written or unreadable) to be completed or removed`,
    };
  const { pid, host, acquired_at } = record;
  return {
    holder: { pid, host, acquired_at },
    waitMs,
    message: `${bound} for pid ${pid} on ${host}, which holds the storage directory lock, to exit or release it`,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function heldError(seen: SeenLock | undefined, takingOver = false): LockHeldError {
  const record = seen?.record ?? null;
  if (takingOver) {
    return new LockHeldError(
      "storage directory lock is being taken over by another process (its claim .lock.claim " +
        `is recent); retry shortly${record === null ? "" : ` — the stale lock was pid ${record.pid} on ${record.host}`}`,
      {
        details: {
          pid: record?.pid ?? null,
          host: record?.host ?? null,
          acquired_at: record?.acquired_at ?? null,
        },
      },
    );
  }
  if (record === null) {
    const modifiedAt = seen === undefined ? undefined : new Date(seen.stat.mtimeMs).toISOString();
    return new LockHeldError(
      "storage directory is locked: its lock file is being written or is unreadable " +
        `(modified ${modifiedAt ?? "just now"}); retry shortly, or remove .lock if no writer runs`,
      { details: { pid: null, host: null, acquired_at: null, modified_at: modifiedAt ?? null } },
    );
  }
  const { pid, host, acquired_at } = record;
  return new LockHeldError(`storage directory is locked by pid ${pid} on ${host} since ${acquired_at}`, {
    details: { pid, host, acquired_at },
  });
}
