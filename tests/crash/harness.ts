import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { GraphNode } from "@dawsos/core";
import { CHILD_NODE_TYPE } from "./fixtures.ts";

/** The repository root (this file is tests/crash/harness.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CHILD_SCRIPT = join(REPO_ROOT, "tests/crash/child-writer.ts");
/** tsx's ESM loader, resolved from the tests package (the repo root has no `tsx` to find). */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export type ChildMode = "put" | "batch" | "hold";

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every child not yet known to be gone, so `killAllChildren` can end them after a failure. */
const live = new Set<ChildWriter>();

/**
 * A running `tests/crash/child-writer.ts`, with its stdout collected as lines. `closed`
 * resolves once the process has exited *and* its stdout is drained, so after it `lines` holds
 * everything the child printed before it died.
 */
export class ChildWriter {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly lines: string[] = [];
  stderr = "";
  readonly closed: Promise<ChildExit>;
  #exit: ChildExit | null = null;
  #partial = "";
  #listeners = new Set<() => void>();

  constructor(dir: string, mode: ChildMode, tag?: string) {
    const args = ["--conditions=@dawsos/source", "--import", TSX_LOADER, CHILD_SCRIPT, dir, mode];
    if (tag !== undefined) args.push(tag);
    this.process = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
    if (this.process.pid === undefined) throw new Error("could not spawn the child writer");
    this.pid = this.process.pid;
    live.add(this);
    this.process.stdout!.setEncoding("utf8");
    this.process.stdout!.on("data", (chunk: string) => {
      const parts = (this.#partial + chunk).split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
      this.#notify();
    });
    this.process.stderr!.setEncoding("utf8");
    this.process.stderr!.on("data", (chunk: string) => {
      if (this.stderr.length < 64 * 1024) this.stderr += chunk;
    });
    this.closed = new Promise<ChildExit>((resolveClosed) => {
      this.process.on("close", (code, signal) => {
        // A partial last line was cut by the kill: the child never finished printing it.
        this.#exit = { code, signal };
        live.delete(this);
        this.#notify();
        resolveClosed(this.#exit);
      });
    });
  }

  get exited(): ChildExit | null {
    return this.#exit;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Resolves to the index of the first line at or after `from` that satisfies `match`, or -1
   * when the child closes or `timeoutMs` passes first.
   */
  waitForLine(
    match: (line: string) => boolean,
    options: { from?: number; timeoutMs: number },
  ): Promise<number> {
    let next = options.from ?? 0;
    return new Promise<number>((resolveWait) => {
      const finish = (result: number) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolveWait(result);
      };
      const check = () => {
        for (; next < this.lines.length; next++) if (match(this.lines[next]!)) return finish(next);
        if (this.#exit) finish(-1);
      };
      const timer = setTimeout(() => finish(-1), options.timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Resolves once `count` `ack` lines have been printed (false on timeout or exit). */
  async waitForAcks(count: number, timeoutMs: number): Promise<boolean> {
    let seen = 0;
    return (await this.waitForLine((line) => line.startsWith("ack ") && ++seen >= count, { timeoutMs })) >= 0;
  }

  /** SIGKILL, then wait (bounded) until the process is reaped and its output drained. */
  async kill(timeoutMs = 10_000): Promise<ChildExit> {
    if (!this.#exit) this.process.kill("SIGKILL");
    return withTimeout(this.closed, timeoutMs, `child ${this.pid} did not exit after SIGKILL`);
  }

  describe(): string {
    const tail = this.lines.slice(-8).join(" | ");
    return `child ${this.pid} exit=${JSON.stringify(this.#exit)} stderr=${JSON.stringify(this.stderr.slice(0, 2000))} last lines: ${tail}`;
  }
}

/** Kills every child still running (for afterEach/afterAll: also after a failed test). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.kill().catch(() => undefined)));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

export function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

const tempDirs: string[] = [];

/** A fresh directory under `os.tmpdir()`, removed by `removeTempDirs`. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dawsos-crash-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Paths (relative to `root`) of every file ending in `.tmp` anywhere under `root`. */
export async function findTempFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".tmp"))
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

// ------------------------------------------------------------------ the durability property

/** What a child printed: which ids it started, which it saw acknowledged, and its batches. */
export interface ChildTranscript {
  started: Set<string>;
  acked: Set<string>;
  /** Ids started together in one `applyBatch` (only groups of more than one). */
  batches: string[][];
  /** Lines that break the protocol (an `ack` without its `start`). */
  protocolErrors: string[];
}

export function parseTranscript(lines: readonly string[]): ChildTranscript {
  const transcript: ChildTranscript = {
    started: new Set(),
    acked: new Set(),
    batches: [],
    protocolErrors: [],
  };
  for (const line of lines) {
    const [word, ...ids] = line.split(" ");
    if (word === "start") {
      for (const id of ids) transcript.started.add(id);
      if (ids.length > 1) transcript.batches.push(ids);
    } else if (word === "ack") {
      for (const id of ids) {
        if (!transcript.started.has(id)) transcript.protocolErrors.push(`ack before start: ${line}`);
        transcript.acked.add(id);
      }
    }
  }
  return transcript;
}

/** `<tag>-w<loop>-<i>` or `<tag>-w<loop>-<i>-<k>`: the `i` the child stored in `data.i`. */
function stepOf(id: string): number | null {
  const match = /-w\d+-(\d+)(?:-\d+)?$/.exec(id);
  return match ? Number(match[1]) : null;
}

export interface RoundCheck {
  problems: string[];
  acked: number;
  inFlight: number;
  recovered: number;
}

/**
 * The kill -9 property: acknowledged ⊆ recovered ⊆ acknowledged ∪ in-flight (in-flight =
 * started, not acknowledged), every recovered node holds what the child wrote, and a batch is
 * recovered whole or not at all. `recovered` is every node of the graph whose id carries the
 * round's tag.
 */
export function checkRound(
  transcript: ChildTranscript,
  recovered: ReadonlyMap<string, GraphNode>,
): RoundCheck {
  const problems = [...transcript.protocolErrors];
  for (const id of transcript.acked) {
    if (!recovered.has(id)) problems.push(`acknowledged but lost: ${id}`);
  }
  for (const [id, node] of recovered) {
    if (!transcript.started.has(id)) {
      problems.push(`recovered but never started: ${id}`);
      continue;
    }
    const data = node.data as { i?: unknown; pad?: unknown };
    if (
      node.type !== CHILD_NODE_TYPE ||
      data.i !== stepOf(id) ||
      typeof data.pad !== "string" ||
      /[^x]/.test(data.pad)
    ) {
      problems.push(`recovered with the wrong content: ${id} ${JSON.stringify(node)}`);
    }
  }
  for (const batch of transcript.batches) {
    const present = batch.filter((id) => recovered.has(id)).length;
    if (present !== 0 && present !== batch.length) {
      problems.push(`batch recovered in part (${present}/${batch.length}): ${batch.join(" ")}`);
    }
  }
  return {
    problems,
    acked: transcript.acked.size,
    inFlight: [...transcript.started].filter((id) => !transcript.acked.has(id)).length,
    recovered: recovered.size,
  };
}
