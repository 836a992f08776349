import { randomBytes } from "node:crypto";
import { isProcessAlive } from "./process-alive.ts";

/**
 * Temp files of crash-safe replaces are named `.<basename>.<pid>.<16 hex>.tmp` and live
 * beside their target. The pid lets a locked `FsStorage.open` tell a crashed writer's
 * leftovers from the files of a writer that is still running: the lock keeps other writer
 * processes out, but a process that opened without the lock can still write.
 */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{16}\.tmp$/;

/** Long basenames are shortened in temp names so the temp name stays within NAME_MAX (255). */
const MAX_BASENAME_IN_TEMP = 64;

/** Absolute paths of temp files being written right now by any FsStorage in this process. */
const inFlight = new Set<string>();

/** A fresh, unique temp file name for a replace of `basename`. */
export function tempNameFor(basename: string): string {
  return `.${basename.slice(0, MAX_BASENAME_IN_TEMP)}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`;
}

/** True for names `tempNameFor` generates (and only those: `notes.tmp` is an ordinary file). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** Marks `path` as being written by this process until the returned function is called. */
export function trackTemp(path: string): () => void {
  inFlight.add(path);
  return () => {
    inFlight.delete(path);
  };
}

/**
 * True when the temp file at `path` (named `name`) was left by a writer that is gone: another
 * process that no longer exists, or this process but no write in flight. A live other process
 * keeps its temp files (a reused pid only delays the cleanup to a later open).
 */
export function isStaleTemp(path: string, name: string): boolean {
  const match = TEMP_NAME.exec(name);
  if (match === null) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return !inFlight.has(path);
  return !isProcessAlive(pid);
}
