/**
 * Running a command on a real pseudo-terminal, as a user at a terminal would, with util-linux
 * `script` (in Debian's essential bsdutils, so on every machine of this project): the command's
 * stdout and stderr are the terminal unless redirected in the command line itself.
 */
import { spawnProcess } from "./processes.ts";

/** `arg` quoted for a POSIX shell. */
export const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `command` (a shell command line) on a fresh pseudo-terminal `columns` wide. Resolves with
 * the exit status and everything the terminal was sent (stdout and stderr together; the
 * terminal turns each `\n` into `\r\n`). The environment is the tests' clean one (`childEnv`),
 * plus `env`; `TERM` is a real terminal's and `CI` is unset (a person at a terminal, even when
 * the tests themselves run under CI=true) unless `env` says otherwise.
 */
export async function runInPty(
  command: string,
  options: { env?: Record<string, string | undefined>; columns?: number; timeoutMs?: number } = {},
): Promise<{ code: number | null; screen: string }> {
  // `stty` sizes the terminal: without one to copy, script's is 0×0 (programs then assume 80).
  const line = `stty cols ${options.columns ?? 200} rows 50; ${command}`;
  const proc = spawnProcess("script", ["-qec", line, "/dev/null"], {
    env: { TERM: "xterm", CI: undefined, ...options.env },
    group: true,
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const exit = await proc.waitForExit(timeoutMs);
    if (exit.code === null && exit.signal === null)
      throw new Error(`could not run script(1): ${proc.stderr()}`);
    return { code: exit.code, screen: proc.stdout() };
  } catch (err) {
    proc.child.kill("SIGKILL");
    throw new Error(`${command}: ${(err as Error).message}\nscreen:\n${proc.stdout()}`);
  }
}

/**
 * The lines a terminal showed: the screen split at every carriage return and newline, with the
 * escape sequences (cursor moves, line clears) taken out. A line redrawn in place shows up once
 * per redraw.
 */
export function screenLines(screen: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences
  const escapes = /\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g;
  return screen
    .replace(escapes, "\n")
    .split(/[\r\n]+/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "");
}
