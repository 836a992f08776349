/**
 * Progress of the CLI's long commands (issue 13): bars on stderr when stderr is a terminal,
 * nothing new when piped. The built CLI runs as a real process, on a real pseudo-terminal
 * (util-linux `script`) for the terminal cases, over a generated graph of a few thousand nodes
 * whose files take several read chunks.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, type CliResult, makeTempDir, runCli } from "../support/processes.ts";
import { runInPty, screenLines, shellQuote } from "../support/pty.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses({ killAfterEach: false });

const NODES = 5000;
/** Two edges into every node but the first two (and one into the second). */
const EDGES = 2 * NODES - 3;
const ID = /\d{8}_\d{6}(?:-\d+)?/;
/** Any terminal control: a carriage return (redraw) or an escape sequence. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for terminal control bytes
const CONTROL = /[\r\x1b]/;

/** A seed-format graph of `NODES` stocks, each feeding the next two: about 4 MiB as stored. */
function generatedDocument(): string {
  const nodes: Record<string, unknown> = {};
  const edges: unknown[] = [];
  for (let i = 0; i < NODES; i++) {
    nodes[`S${i}`] = {
      type: "stock",
      data: { symbol: `S${i}`, sector: `sector-${i % 11}`, notes: `stock ${i} `.repeat(60) },
    };
    if (i >= 1) edges.push({ from: `S${i - 1}`, to: `S${i}`, type: "feeds", strength: 0.5 });
    if (i >= 2) edges.push({ from: `S${i - 2}`, to: `S${i}`, type: "leads", strength: 0.25 });
  }
  return JSON.stringify({ version: 2, nodes, edges, patterns: {} });
}

/** The generated document, captured stdout and exports: outside every storage directory. */
let filesDir = "";
let documentFile = "";
let captures = 0;
beforeAll(async () => {
  filesDir = await makeTempDir("dawsos-progress-files-");
  documentFile = join(filesDir, "generated.json");
  writeFileSync(documentFile, generatedDocument());
});

const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** A piped run that must succeed: stdout and stderr carry no terminal control at all. */
async function piped(dir: string, ...args: string[]): Promise<CliResult> {
  const r = await runCli(["--dir", dir, ...args], { timeoutMs: 60_000 });
  expect(r.code, show(r)).toBe(0);
  expect(r.stdout, `stdout of ${args.join(" ")}`).not.toMatch(CONTROL);
  expect(r.stderr, `stderr of ${args.join(" ")}`).not.toMatch(CONTROL);
  // stderr holds the notes the CLI always wrote, and nothing else.
  for (const line of r.stderr.split("\n").filter(Boolean)) expect(line).toMatch(/^… /);
  return r;
}

/**
 * `dawsos --dir <dir> <args>` on a terminal with stdout redirected to a file, as in
 * `dawsos export > out.json` typed at a terminal: the screen shows stderr only.
 */
async function onTerminal(
  dir: string,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ lines: string[]; screen: string; stdout: string }> {
  const out = join(filesDir, `stdout-${++captures}.txt`);
  const command = ["node", CLI_JS, "--dir", dir, ...args].map(shellQuote).join(" ");
  const r = await runInPty(`${command} > ${shellQuote(out)}`, { env });
  expect(r.code, r.screen).toBe(0);
  return { lines: screenLines(r.screen), screen: r.screen, stdout: readFileSync(out, "utf8") };
}

/** A step's bar as the terminal shows it when the step is done (100%, total of total). */
const finished = (step: string, unit: "MiB" | "records") =>
  new RegExp(`^${step}  \\[=+\\] 100% \\| ([\\d.,]+)/\\1 ${unit} \\| [\\dhms]+$`);
/** The same step's bar as first drawn, before any of it is done. */
const started = (step: string, unit: "MiB" | "records") =>
  new RegExp(`^${step}  \\[-+\\]   0% \\| 0(?:\\.0)?/[\\d.,]+ ${unit} \\| ETA --$`);

function expectStep(lines: readonly string[], step: string, unit: "MiB" | "records"): void {
  const shown = lines.join("\n");
  expect(
    lines.some((l) => started(step, unit).test(l)),
    `${step} starts\n${shown}`,
  ).toBe(true);
  expect(
    lines.some((l) => finished(step, unit).test(l)),
    `${step} finishes\n${shown}`,
  ).toBe(true);
}

describe.concurrent("piped (not a terminal)", () => {
  it("import, verify, backup, restore, export and compact print no progress: output as it always was", async () => {
    const dir = await makeTempDir("dawsos-progress-piped-");
    const imported = await piped(dir, "import", documentFile);
    expect(imported.stdout).toBe(`imported ${NODES} nodes, ${EDGES} edges, 0 patterns\n`);
    expect(imported.stderr).toMatch(/^… reading .*generated\.json \([\d.]+ MiB\)$/m);

    const verified = await piped(dir, "verify");
    expect(verified.stdout).toMatch(/^ok\s+graph\.json$/m);
    expect(verified.stdout.endsWith("healthy\n")).toBe(true);

    const backup = await piped(dir, "backup");
    const id = ID.exec(backup.stdout)?.[0];
    expect(backup.stdout).toMatch(new RegExp(`^backup ${id}: graph\\.json \\([\\d.]+ MiB\\)`));

    const restored = await piped(dir, "restore", id!);
    expect(restored.stdout).toBe(`restored backup ${id}: ${NODES} nodes, ${EDGES} edges\n`);

    const out = join(filesDir, "piped-export.json");
    const exportedToFile = await piped(dir, "export", "--out", out);
    expect(exportedToFile.stdout).toBe("");
    const exported = await piped(dir, "export");
    expect(exported.stdout).toBe(readFileSync(out, "utf8"));
    expect(Object.keys(JSON.parse(exported.stdout).nodes)).toHaveLength(NODES);

    const compacted = await piped(dir, "compact");
    expect(compacted.stdout).toMatch(/^compacted at seq \d+, checksum [0-9a-f]{64}\n$/);
  });

  it("DAWSOS_PROGRESS=always on a pipe: plain progress lines on stderr, still no terminal control", async () => {
    const dir = await makeTempDir("dawsos-progress-always-");
    expect((await runCli(["--dir", dir, "import", documentFile], { timeoutMs: 60_000 })).code).toBe(0);
    const r = await runCli(["--dir", dir, "verify"], {
      env: { DAWSOS_PROGRESS: "always" },
      timeoutMs: 60_000,
    });
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).not.toMatch(CONTROL);
    const lines = r.stderr.split("\n");
    expectStep(lines, "reading graph\\.json", "MiB");
    expectStep(lines, "verifying", "MiB");
    expect(r.stdout.endsWith("healthy\n")).toBe(true);
  });

  it("a DAWSOS_PROGRESS that is not auto, always or never fails the command, naming it", async () => {
    const dir = await makeTempDir("dawsos-progress-bad-");
    const r = await runCli(["--dir", dir, "verify"], { env: { DAWSOS_PROGRESS: "yes" } });
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/^dawsos: invalid configuration: DAWSOS_PROGRESS\b/m);
  });
});

describe("on a terminal (a real pseudo-terminal)", () => {
  it("each long command draws a bar per step on stderr, counted to its total; stdout holds only the results", async () => {
    const dir = await makeTempDir("dawsos-progress-tty-");

    const imported = await onTerminal(dir, ["import", documentFile]);
    expect(imported.stdout).toBe(`imported ${NODES} nodes, ${EDGES} edges, 0 patterns\n`);
    expectStep(imported.lines, "reading generated\\.json", "MiB");
    expectStep(imported.lines, "backing up", "MiB");
    expectStep(imported.lines, "writing graph\\.json", "records");
    // The entries written are the graph's: every node and edge.
    expect(imported.lines.some((l) => l.includes(`| ${(NODES + EDGES).toLocaleString("en-US")}/`))).toBe(
      true,
    );
    // Redrawn in place: cursor control goes to the terminal, none to stdout.
    expect(imported.screen).toMatch(CONTROL);
    expect(imported.stdout).not.toMatch(CONTROL);
    // The notes are still there, between the bars.
    expect(imported.lines).toContain("… validating and backing up the current graph");

    const verified = await onTerminal(dir, ["verify"]);
    expectStep(verified.lines, "reading graph\\.json", "MiB");
    expectStep(verified.lines, "verifying", "MiB");
    // Byte for byte what a pipe gets.
    expect(verified.stdout).toBe((await piped(dir, "verify")).stdout);
    expect(verified.stdout.endsWith("healthy\n")).toBe(true);

    const backup = await onTerminal(dir, ["backup"]);
    const id = ID.exec(backup.stdout)?.[0];
    expect(backup.stdout).toMatch(new RegExp(`^backup ${id}: graph\\.json \\([\\d.]+ MiB\\)[^\\n]*\\n$`));
    expectStep(backup.lines, "backing up", "MiB");

    const restored = await onTerminal(dir, ["restore", id!]);
    expect(restored.stdout).toBe(`restored backup ${id}: ${NODES} nodes, ${EDGES} edges\n`);
    expectStep(restored.lines, `checking backups/${id}/`, "MiB");
    expectStep(restored.lines, `reading backups/${id}/graph\\.json`, "MiB");
    expectStep(restored.lines, "backing up", "MiB");
    expectStep(restored.lines, "writing graph\\.json", "records");

    const out = join(filesDir, "tty-export.json");
    const exportedToFile = await onTerminal(dir, ["export", "--out", out]);
    expect(exportedToFile.stdout).toBe("");
    expectStep(exportedToFile.lines, `writing ${out.replaceAll(".", "\\.")}`, "records");
    // `export > file` at a terminal: the document goes to the file, its progress to the screen.
    const exported = await onTerminal(dir, ["export"]);
    expectStep(exported.lines, "writing stdout", "records");
    expect(exported.stdout).toBe(readFileSync(out, "utf8"));
    expect(exported.stdout).toBe((await piped(dir, "export")).stdout);
  });

  it("a step that fails midway ends its bar: the error on a line of its own, exit 1, no hang", async () => {
    const dir = await makeTempDir("dawsos-progress-fail-");
    // A directory opens, then fails on the first read: the reading step has begun.
    const command = ["node", CLI_JS, "--dir", dir, "import", filesDir].map(shellQuote).join(" ");
    const r = await runInPty(command, { timeoutMs: 30_000 });
    expect(r.code, r.screen).toBe(1);
    const lines = screenLines(r.screen);
    expect(
      lines.some((l) => /^reading dawsos-progress-files-\w+ {2}0\.0 MiB \| \d+s$/.test(l)),
      r.screen,
    ).toBe(true);
    expect(r.screen).toMatch(/\r\ndawsos: EISDIR\b[^\r\n]*\r\n$/);
  });

  it("--no-progress, DAWSOS_PROGRESS=never, CI and TERM=dumb: no bars even on a terminal", async () => {
    const dir = await makeTempDir("dawsos-progress-off-");
    expect((await runCli(["--dir", dir, "import", documentFile], { timeoutMs: 60_000 })).code).toBe(0);
    const cases: Array<{ args: string[]; env?: Record<string, string> }> = [
      { args: ["--no-progress", "verify"] },
      { args: ["verify"], env: { DAWSOS_PROGRESS: "never" } },
      { args: ["verify"], env: { CI: "true" } },
      { args: ["verify"], env: { TERM: "dumb" } },
    ];
    for (const { args, env } of cases) {
      const r = await onTerminal(dir, args, env);
      const what = `${args.join(" ")} ${JSON.stringify(env ?? {})}`;
      // The terminal turns each newline into \r\n; beyond that, nothing but the notes.
      expect(r.screen.replaceAll("\r\n", "\n"), what).not.toMatch(CONTROL);
      for (const line of r.lines) expect(line, what).toMatch(/^… /);
      expect(r.stdout.endsWith("healthy\n"), what).toBe(true);
    }
    // DAWSOS_PROGRESS=always wins over CI (a CI log that wants progress asks for it).
    const forced = await onTerminal(dir, ["verify"], { CI: "true", DAWSOS_PROGRESS: "always" });
    expectStep(forced.lines, "verifying", "MiB");
  });
});
