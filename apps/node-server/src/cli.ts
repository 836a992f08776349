#!/usr/bin/env node
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { assertTimestampId, DawsosError, type JsonObject, LockHeldError } from "@dawsos/core";
import { backupInventory } from "@dawsos/core/store";
import { Command, CommanderError } from "commander";
import { say, tolerateClosedOutput, writeOut } from "./cli-output.ts";
import { readChangeRetention, readLockWaitMs, readProgressMode } from "./config.ts";
import { exportedDocument } from "./exported-document.ts";
import { type OpenedStore, openStore } from "./open-store.ts";
import { ProgressDisplay, showsProgress } from "./progress-display.ts";
import { readDocumentFile } from "./read-document-file.ts";
import { VERSION } from "./version.ts";

tolerateClosedOutput();

/**
 * `dawsos` — the operator CLI (SPEC section 7). Exit codes: 0 success, 1 failure (for
 * `verify` and `backups`: damage found), 2 usage error, 3 the storage directory is locked by
 * another writer. A reader that stops early (`| head`) is no failure (cli-output.ts).
 */
const program = new Command()
  .name("dawsos")
  .description("Operate a DawsOS storage directory")
  .version(VERSION)
  .option("--dir <dir>", "storage directory (default: $DAWSOS_STORAGE_DIR or ./storage)")
  .option("--no-progress", "no progress bars (they are drawn only when stderr is a terminal)")
  .showHelpAfterError()
  .exitOverride();

const cwd = process.env.INIT_CWD ?? process.cwd();
const dir = () =>
  resolve(cwd, program.opts<{ dir?: string }>().dir ?? process.env.DAWSOS_STORAGE_DIR ?? "storage");

/**
 * stderr while a command works: its notes, and progress bars when stderr is a terminal (see
 * progress-display.ts). Made on first use, once the options are parsed; a bad
 * `DAWSOS_PROGRESS` fails the command like any other bad setting.
 */
let stderrDisplay: ProgressDisplay | undefined;
function display(): ProgressDisplay {
  if (!stderrDisplay) {
    const wanted = program.opts<{ progress: boolean }>().progress;
    const mode = wanted ? readProgressMode(process.env) : "never";
    stderrDisplay = new ProgressDisplay(process.stderr, showsProgress(mode, process.stderr, process.env));
  }
  return stderrDisplay;
}
const progress = (line: string) => display().note(line);
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function withStore<T>(
  write: boolean,
  fn: (opened: OpenedStore) => Promise<T>,
  options: { mustExist?: boolean } = { mustExist: !write },
): Promise<T> {
  // A reader must not mistake a typo in --dir for a healthy (freshly seeded) graph. An existing
  // empty directory shows what a server would seed there (nothing is written).
  if (options.mustExist && !existsSync(dir())) {
    throw new Error(`${dir()} does not exist (check --dir)`);
  }
  // Only writers wait for the lock, so only they read (and validate) DAWSOS_LOCK_WAIT_MS.
  const lockWaitMs = write ? readLockWaitMs(process.env) : undefined;
  progress(`opening ${dir()}${write ? " (taking the writer lock)" : " (read-only)"}`);
  try {
    const opened = await openStore(dir(), {
      write,
      onEvent: (e) => progress(`${e.type}`),
      onProgress: display().update,
      lockWaitMs,
      onLockWait: (wait) => progress(wait.message),
      // Every change made here is recorded as `cli`; compaction keeps what the server keeps.
      source: "cli",
      changeRetention: readChangeRetention(process.env),
    });
    try {
      return await fn(opened);
    } finally {
      await opened.close();
    }
  } finally {
    // Before any result is printed, and on failure too: a bar's redraw timer would keep the
    // process alive.
    display().stop();
  }
}

program
  .command("verify")
  .description("check every stored file (graph, journal, versions, backups); exit 1 if any is damaged")
  .option(
    "--ack-recovery",
    "acknowledge the recovery reports shown so far (takes the writer lock); a lossy recovery fails verify until then",
  )
  .action(async (options: { ackRecovery?: boolean }) => {
    progress(`verifying ${dir()}`);
    const report = await withStore(
      options.ackRecovery === true,
      async ({ store }) => {
        if (!options.ackRecovery) return store.verify();
        const acknowledged = await store.acknowledgeRecovery();
        progress(`acknowledged ${acknowledged} recovery report(s)`);
        return store.verify();
      },
      { mustExist: true },
    );
    for (const file of report.files) {
      say(
        `${file.ok ? "ok     " : "DAMAGED"}  ${file.key}${file.error ? `  [${file.error.code}] ${file.error.message}` : ""}${file.note ? `  (${file.note})` : ""}`,
      );
    }
    say(report.ok ? "healthy" : "damaged files found");
    process.exitCode = report.ok ? 0 : 1;
  });

program
  .command("stats")
  .description("print graph statistics")
  .action(async () => {
    const stats = await withStore(false, async ({ store }) => ({
      ...store.graph.stats(),
      seq: store.graph.seq,
    }));
    say(JSON.stringify(stats, null, 2));
  });

program
  .command("backup")
  .description("make a full backup (backups/<id>/ with a manifest)")
  .action(async () => {
    const backup = await withStore(true, ({ store }) => store.backup());
    say(`backup ${backup.id}: ${backup.files.map((f) => `${f.name} (${mib(f.size)})`).join(", ")}`);
  });

program
  .command("backups")
  .description("list backups, newest first; exit 1 if a backup's manifest cannot be read")
  .action(async () => {
    // Not `store.listBackups()`: it lists only restorable backups, so a damaged one would vanish
    // from the listing (one damaged backup would read as "no backups").
    const entries = await withStore(false, ({ storage }) => backupInventory(storage));
    for (const e of entries) {
      if (e.status === "ok") {
        const m = e.manifest;
        say(`${e.id}  ${m.created}  seq ${m.seq}  ${m.files.length} files`);
      } else if (e.status === "damaged") {
        say(`DAMAGED ${e.id}  manifest unreadable: [${e.error.code}] ${e.error.message}`);
      } else {
        say(`INCOMPLETE ${e.id}  no manifest: interrupted (or still being written); never restored`);
      }
    }
    if (entries.length === 0) say("no backups");
    if (entries.some((e) => e.status === "damaged")) process.exitCode = 1;
  });

program
  .command("restore <id>")
  .description("restore a backup (the current state is backed up first)")
  .action(async (id: string) => {
    assertTimestampId(id, "backup"); // SPEC §3: rejected before touching the disk (no lock, no replay)
    const stats = await withStore(true, ({ store }) => store.restoreBackup(id));
    say(`restored backup ${id}: ${stats.total_nodes} nodes, ${stats.total_edges} edges`);
  });

program
  .command("versions")
  .description("list saved versions, newest first")
  .action(async () => {
    const versions = await withStore(false, ({ store }) => store.listVersions());
    for (const v of versions) say(`${v.id}  ${v.created}  ${mib(v.size)}  ${v.checksum ?? "?"}`);
    if (versions.length === 0) say("no versions");
  });

program
  .command("compact")
  .description("fold the journal into graph.json")
  .action(async () => {
    const result = await withStore(true, ({ store }) => store.compact());
    say(`compacted at seq ${result.seq}, checksum ${result.checksum}`);
  });

program
  .command("import <file>")
  .description("replace the graph with a document (our format, seed or original DawsOS); backs up first")
  .action(async (file: string) => {
    const path = resolve(cwd, file);
    progress(`reading ${path} (${mib((await stat(path)).size)})`);
    const text = await readDocumentFile(path, display().update);
    display().stop(); // before JSON.parse holds the event loop: the bar shows the read as done
    const document = JSON.parse(text);
    progress("validating and backing up the current graph");
    const stats = await withStore(true, ({ store }) => store.replaceGraph(document));
    say(`imported ${stats.total_nodes} nodes, ${stats.total_edges} edges, ${stats.total_patterns} patterns`);
  });

program
  .command("patch <node-id> <json>")
  .description("merge a JSON object into a node's data (JSON merge patch), recorded as source cli")
  .action(async (id: string, json: string) => {
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch {
      throw new Error("the patch must be a JSON object, e.g. '{\"price\":255.5}'");
    }
    if (typeof data !== "object" || data === null || Array.isArray(data))
      throw new Error("the patch must be a JSON object");
    const node = await withStore(true, ({ store }) => store.patchNode(id, data as JsonObject));
    say(JSON.stringify(node, null, 2));
  });

program
  .command("history <node-id>")
  .description("the retained changes of a node, newest first (seq, time, source, actor, op)")
  .option("--limit <n>", "at most this many entries", "100")
  .action(async (id: string, options: { limit: string }) => {
    const limit = Number(options.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
      throw new Error("--limit must be a whole number between 1 and 1000");
    const entries = await withStore(false, ({ store }) => store.changes.nodeHistory(id, limit));
    for (const e of entries) {
      say(
        `${e.seq}  ${e.at}  ${e.source ?? "-"}${e.actor ? ` (${e.actor})` : ""}  ${e.op}  ${JSON.stringify(e.change)}`,
      );
    }
    if (entries.length === 0) say(`no retained changes of ${id}`);
  });

program
  .command("export")
  .description("write the current graph document (checksummed) to a file or stdout")
  .option("--out <file>", "output file (default: stdout)")
  .action(async (options: { out?: string }) => {
    const file = options.out === undefined ? undefined : resolve(cwd, options.out);
    // No bar when the document itself goes to the terminal: the two would mix on one screen.
    const onProgress = file === undefined && process.stdout.isTTY ? undefined : display().update;
    await withStore(false, ({ store }) =>
      writeOut(exportedDocument(store.graph, `writing ${options.out ?? "stdout"}`, onProgress), file),
    );
    if (options.out) progress(`wrote ${options.out}`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // A step that failed midway leaves its bar running: end it, so the message starts a line of
  // its own and the bar's redraw timer cannot keep the process alive.
  stderrDisplay?.stop();
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
    return;
  }
  if (err instanceof LockHeldError) {
    process.stderr.write(
      `dawsos: ${err.message}. Is a server running on this directory? Stop it, or use the HTTP API.\n`,
    );
    process.exitCode = 3;
    return;
  }
  const code = err instanceof DawsosError ? `[${err.code}] ` : "";
  process.stderr.write(`dawsos: ${code}${(err as Error)?.message ?? String(err)}\n`);
  process.exitCode = 1;
});
