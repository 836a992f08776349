import { PassThrough } from "node:stream";
import type { Progress } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { ProgressDisplay, progressLine, showsProgress } from "./progress-display.ts";

describe("showsProgress", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it("auto: only on a terminal, and not under CI nor on a dumb terminal", () => {
    expect(showsProgress("auto", tty, {})).toBe(true);
    expect(showsProgress("auto", pipe, {})).toBe(false);
    expect(showsProgress("auto", {}, {})).toBe(false);
    expect(showsProgress("auto", tty, { CI: "true" })).toBe(false);
    expect(showsProgress("auto", tty, { CI: "1" })).toBe(false);
    expect(showsProgress("auto", tty, { TERM: "dumb" })).toBe(false);
    // CI switched off explicitly is no CI; NO_COLOR concerns colour, which the bars have none of.
    expect(showsProgress("auto", tty, { CI: "false" })).toBe(true);
    expect(showsProgress("auto", tty, { CI: "0" })).toBe(true);
    expect(showsProgress("auto", tty, { NO_COLOR: "1" })).toBe(true);
  });

  it("always and never decide alone", () => {
    expect(showsProgress("always", pipe, { CI: "true", TERM: "dumb" })).toBe(true);
    expect(showsProgress("never", tty, {})).toBe(false);
  });
});

describe("progressLine", () => {
  const at = (seconds: number, eta: number, maxWidth = 100) => ({
    startTime: Date.now() - seconds * 1000,
    eta,
    maxWidth,
  });
  const step = (done: number, total?: number, unit: Progress["unit"] = "bytes"): Progress => ({
    step: "reading graph.json",
    unit,
    done,
    total,
  });

  it("a bar, percentage, amounts of the total and the ETA; the elapsed time once done", () => {
    const MiB = 1024 * 1024;
    const start = progressLine(step(0, 10 * MiB), at(0, 0));
    expect(start).toMatch(/^reading graph\.json {2}\[-{10,30}\] {3}0% \| 0\.0\/10\.0 MiB \| ETA --$/);
    const half = progressLine(step(5 * MiB, 10 * MiB), at(3, 75));
    expect(half).toMatch(/^reading graph\.json {2}\[=+-+\] {2}50% \| 5\.0\/10\.0 MiB \| ETA 1m15s$/);
    const done = progressLine(step(10 * MiB, 10 * MiB), at(4, 0));
    expect(done).toMatch(/^reading graph\.json {2}\[=+\] 100% \| 10\.0\/10\.0 MiB \| 4s$/);
    // The bar keeps its length as it fills.
    const barOf = (line: string) => /\[([=-]+)\]/.exec(line)![1]!.length;
    expect(barOf(half)).toBe(barOf(start));
    expect(barOf(done)).toBe(barOf(start));
  });

  it("records with thousands separators; an unknown total is a counter", () => {
    expect(progressLine(step(1500, 3000, "records"), at(1, 1))).toMatch(
      / 50% \| 1,500\/3,000 records \| ETA 1s$/,
    );
    expect(progressLine(step(3 * 1024 * 1024), at(2, 0))).toBe("reading graph.json  3.0 MiB | 2s");
  });

  it("a long step name is shortened in the middle to fit the terminal", () => {
    const long: Progress = {
      step: "reading backups/20260101_000000-12/graph.json",
      unit: "bytes",
      done: 1,
      total: 2,
    };
    const line = progressLine(long, at(0, 1, 80));
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^reading backups.*….*graph\.json {2}\[/);
    expect(progressLine(long, at(0, 1, 200))).toMatch(
      /^reading backups\/20260101_000000-12\/graph\.json {2}\[/,
    );
  });
});

describe("ProgressDisplay", () => {
  function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    Object.assign(out, { isTTY, columns: 120 });
    let text = "";
    out.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    return { out, text: () => text };
  }
  const report = (display: ProgressDisplay, name: string, done: number, total: number) =>
    display.update({ step: name, unit: "records", done, total });

  it("disabled: the notes exactly as the CLI always wrote them, and nothing else", () => {
    const { out, text } = stream(true);
    const display = new ProgressDisplay(out, false);
    display.note("opening /x (read-only)");
    report(display, "writing graph.json", 0, 10);
    report(display, "writing graph.json", 10, 10);
    display.stop();
    expect(text()).toBe("… opening /x (read-only)\n");
  });

  it("on a terminal: one bar per step, each ended on its own line before the next step or note", () => {
    const { out, text } = stream(true);
    const display = new ProgressDisplay(out, true);
    report(display, "writing graph.json", 0, 10);
    report(display, "writing graph.json", 10, 10);
    display.note("compacted");
    report(display, "backing up", 0, 4);
    report(display, "backing up", 4, 4);
    display.stop();
    const screen = text();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: cursor control of the redraws
    expect(screen).toMatch(/\x1b\[/);
    const lines = screen
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing cursor control
      .replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g, "\n")
      .split("\n")
      .filter(Boolean);
    const writing = lines.findLastIndex((l) => /^writing graph\.json .* 100% \| 10\/10 records/.test(l));
    const note = lines.indexOf("… compacted");
    const backing = lines.findLastIndex((l) => /^backing up .* 100% \| 4\/4 records/.test(l));
    expect(writing).toBeGreaterThanOrEqual(0);
    expect(note).toBeGreaterThan(writing);
    expect(backing).toBeGreaterThan(note);
    expect(screen.endsWith("\n")).toBe(true);
  });
});
