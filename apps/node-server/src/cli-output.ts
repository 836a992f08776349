import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * The CLI's output when its reader may go away early: `dawsos backups | head`. A C program gets
 * SIGPIPE and dies silently; Node ignores SIGPIPE, so the next write fails with EPIPE, reported
 * as an `error` event on stdout that, unhandled, crashes the process with a stack trace. Instead
 * the CLI stops writing and carries on: the command finishes what it was doing (a writer still
 * releases its lock) and exits with its own status — 0 for a listing cut short, since the
 * reader chose to stop reading.
 */
let stdoutGone = false;

/** Call once, before anything is written. */
export function tolerateClosedOutput(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    stdoutGone = true;
    if (err.code === "EPIPE") return;
    // Any other failure to write (EIO, a full disk behind `> file`) is a real failure.
    process.stderr.write(`dawsos: cannot write to stdout: ${err.message}\n`);
    process.exitCode = 1;
  });
  // Progress lines are a courtesy: when nobody reads stderr either, there is no one to tell.
  process.stderr.on("error", () => undefined);
}

/** One line of the command's result on stdout (nothing once stdout's reader has gone). */
export function say(line: string): void {
  if (!stdoutGone) process.stdout.write(`${line}\n`);
}

/** Resolves once stdout can take more, or never will again. */
function stdoutReady(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off("drain", done);
      process.stdout.off("close", done);
      process.stdout.off("error", done);
      resolve();
    };
    process.stdout.on("drain", done);
    process.stdout.on("close", done);
    process.stdout.on("error", done);
  });
}

/**
 * Writes `chunks` (lazily produced: a large graph is never one string) to a file, or to stdout
 * when `file` is undefined, with backpressure. A file that cannot be written rejects; stdout
 * whose reader has gone just stops taking chunks.
 */
export async function writeOut(chunks: Iterable<string>, file: string | undefined): Promise<void> {
  if (file !== undefined) {
    await pipeline(Readable.from(chunks), createWriteStream(file));
    return;
  }
  for (const chunk of chunks) {
    if (stdoutGone || process.stdout.destroyed) return;
    if (!process.stdout.write(chunk)) await stdoutReady();
  }
}
