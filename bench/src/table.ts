/**
 * Result rows, Markdown tables on stdout, and bench/RESULTS.md.
 *
 * RESULTS.md is rewritten whole on every run: a header describing the machine, then one
 * section per benchmark group between `<!-- bench:<id> -->` markers. Groups run this time
 * replace their section; sections of groups not run this time (e.g. the 1M-node graph, which
 * only runs with BENCH_HUGE=1) are kept as they were, each with the date it was measured.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { Stats } from "./measure.ts";

export interface Row {
  name: string;
  /** Graph size, e.g. "100k / 300k". */
  size: string;
  /** Median time in ms (or a preformatted text). */
  median?: number | string;
  /** Spread text, usually p10–p90 and the sample count. */
  spread?: string;
  opsPerSec?: number;
  /** Ratio to the peer, in words: "1,234× faster than rewrite". */
  vsPeer?: string;
  target?: string;
  /** `undefined`: no target for this row. */
  met?: boolean;
}

export interface GroupResult {
  /** Stable id: the section marker in RESULTS.md. */
  id: string;
  title: string;
  /** What is compared, one or two sentences. */
  description: string;
  rows: Row[];
  /** Iteration counts, errors, file sizes, things worth knowing when reading the numbers. */
  notes: string[];
  /** The settings shown on the "Measured" line; default `BENCH_SIZES=…`. */
  measuredWith?: string;
}

const COLUMNS = ["name", "size", "median", "spread", "ops/s", "vs peer", "target", "met?"];

// ---------------------------------------------------------------- formatting

function sig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return Math.round(x).toLocaleString("en-US");
  return x.toPrecision(digits).replace(/\.?0+$/, (m) => (m.includes(".") ? "" : m));
}

/** 0.000412 → "412 ns", 0.253 → "253 µs", 12.34 → "12.3 ms", 4712 → "4.71 s". */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 0.001) return `${sig(ms * 1e6)} ns`;
  if (ms < 1) return `${sig(ms * 1e3)} µs`;
  if (ms < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}

export function fmtRate(perSec: number | undefined): string {
  if (perSec === undefined || !Number.isFinite(perSec)) return "—";
  if (perSec >= 1000) return Math.round(perSec).toLocaleString("en-US");
  return sig(perSec);
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${sig(bytes / 1024 ** 3)} GiB`;
  if (bytes >= 1024 ** 2) return `${sig(bytes / 1024 ** 2)} MiB`;
  if (bytes >= 1024) return `${sig(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

/** A ratio as "1,234×" / "2.41×". */
export function fmtRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "—";
  if (ratio >= 100) return `${Math.round(ratio).toLocaleString("en-US")}×`;
  return `${sig(ratio)}×`;
}

/** "p10–p90 (n)" with an optional p99. */
export function spreadOf(s: Stats, options: { p99?: boolean } = {}): string {
  const base = `${fmtMs(s.p10)}–${fmtMs(s.p90)}`;
  return `${base}${options.p99 ? `, p99 ${fmtMs(s.p99)}` : ""} (n=${s.n})`;
}

/** A row from timing statistics: median, spread and ops/s filled in. */
export function statsRow(
  name: string,
  size: string,
  s: Stats,
  extra: Partial<Row> = {},
  options: { p99?: boolean } = {},
): Row {
  return {
    name,
    size,
    median: s.median,
    spread: spreadOf(s, options),
    opsPerSec: s.median > 0 ? 1000 / s.median : undefined,
    ...extra,
  };
}

/** "10k / 30k" for a node count and edge count. */
export function sizeOf(nodes: number, edges: number): string {
  const short = (n: number) =>
    n >= 1_000_000 ? `${sig(n / 1_000_000)}M` : n >= 1000 ? `${sig(n / 1000)}k` : String(n);
  return `${short(nodes)} / ${short(edges)}`;
}

// ---------------------------------------------------------------- tables

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A Markdown table with padded, aligned columns (the layout Biome's formatter keeps). */
export function renderTable(rows: readonly Row[]): string {
  const body = rows.map((r) =>
    [
      r.name,
      r.size,
      typeof r.median === "string" ? r.median : fmtMs(r.median),
      r.spread ?? "",
      fmtRate(r.opsPerSec),
      r.vsPeer ?? "",
      r.target ?? "",
      r.met === undefined ? "" : r.met ? "yes" : "**no**",
    ].map(cell),
  );
  const widths = COLUMNS.map((c, i) => Math.max(3, c.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(COLUMNS), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

export interface RunInfo {
  date: Date;
  sizes: number[];
  huge: boolean;
  /** 1-minute load average when the run started: the machine may be shared. */
  loadAtStart: number;
}

export function renderGroup(group: GroupResult, run: RunInfo): string {
  const parts = [
    `## ${group.title}`,
    "",
    group.description,
    "",
    `_Measured ${run.date.toISOString()} · Node ${process.version} · ${group.measuredWith ?? `BENCH_SIZES=${run.sizes.join(",")}`}_`,
    "",
    renderTable(group.rows),
  ];
  if (group.notes.length > 0) parts.push("", ...group.notes.map((n) => `- ${n}`));
  return parts.join("\n");
}

export function printGroup(group: GroupResult, run: RunInfo): void {
  process.stdout.write(`\n${renderGroup(group, run)}\n`);
}

export function machineDescription(): string {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model ?? "unknown"} × ${cpus.length} cores`,
    `- Memory: ${fmtBytes(os.totalmem())}`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node ${process.version}`,
  ].join("\n");
}

function loadLine(run: RunInfo): string {
  const [l1, l5] = os.loadavg();
  return (
    `- Load average (1 min): ${run.loadAtStart.toFixed(2)} at the start, ${l1!.toFixed(2)} at the end ` +
    `(5 min: ${l5!.toFixed(2)}); anything else running on the machine shows up in the numbers`
  );
}

const SECTION = /<!-- bench:([\w-]+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g;

/**
 * Writes the whole RESULTS.md: header, then the sections in `order`. Sections of this run
 * replace the old ones; sections not run this time are carried over from the existing file.
 */
export function writeResults(
  file: string,
  groups: readonly GroupResult[],
  run: RunInfo,
  order: string[],
): void {
  const sections = new Map<string, string>();
  if (existsSync(file)) {
    for (const m of readFileSync(file, "utf8").matchAll(SECTION)) sections.set(m[1]!, m[2]!);
  }
  for (const g of groups) sections.set(g.id, renderGroup(g, run));
  const ids = [
    ...order.filter((id) => sections.has(id)),
    ...[...sections.keys()].filter((id) => !order.includes(id)),
  ];
  const header = [
    "# Benchmark results",
    "",
    "Written by `pnpm bench` (see bench/README.md for what each benchmark compares). Every",
    "comparison ran both sides in the same run, in the same process (the http group's servers each",
    "run in a child process, loaded from the bench process). Times are medians; spread is p10–p90",
    "with the sample count. A section measured in an earlier run (for example the 1M-node graph,",
    "which runs only with `BENCH_HUGE=1`) is kept with its own date.",
    "",
    `Last run: ${run.date.toISOString()}, BENCH_SIZES=${run.sizes.join(",")}${run.huge ? ", BENCH_HUGE=1" : ""}; ` +
      `groups measured: ${groups.map((g) => g.id).join(", ") || "none"}`,
    "",
    machineDescription(),
    loadLine(run),
  ].join("\n");
  const body = ids
    .map((id) => `<!-- bench:${id} -->\n${sections.get(id)}\n<!-- /bench:${id} -->`)
    .join("\n\n");
  writeFileSync(file, `${header}\n\n${body}\n`);
}
