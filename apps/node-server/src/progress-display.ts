import type { Progress } from "@dawsos/core";
import { type Params, SingleBar } from "cli-progress";

export type ProgressMode = "auto" | "always" | "never";

const truthy = (value: string | undefined) =>
  value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";

/**
 * Whether the CLI draws progress bars on `stream` (its stderr). `auto` draws them only on a
 * terminal: piped or redirected, the output stays byte for byte what scripts already read.
 * Not under CI either (some runners give jobs a terminal, and their logs keep every redraw),
 * nor on a `TERM=dumb` terminal, which cannot take the cursor back to redraw. `NO_COLOR`
 * needs nothing: the bars have no colour.
 */
export function showsProgress(
  mode: ProgressMode,
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
): boolean {
  if (mode !== "auto") return mode === "always";
  return stream.isTTY === true && !truthy(env.CI) && env.TERM !== "dumb";
}

const MIB = 1024 * 1024;

function amount(n: number, unit: Progress["unit"]): string {
  return unit === "bytes" ? (n / MIB).toFixed(1) : n.toLocaleString("en-US");
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * One step's line: `reading graph.json  [=====-----]  48% | 120.3/250.0 MiB | ETA 6s`, the
 * elapsed time instead of the ETA once done, and a plain counter when the total is unknown.
 * The bar takes what width the terminal leaves (cli-progress trims the line to it).
 */
export function progressLine(
  progress: Progress,
  params: Pick<Params, "eta" | "maxWidth" | "startTime">,
): string {
  const { step, unit, done, total } = progress;
  const units = unit === "bytes" ? "MiB" : "records";
  const elapsed = duration((Date.now() - params.startTime) / 1000);
  if (total === undefined) return `${step}  ${amount(done, unit)} ${units} | ${elapsed}`;
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  // No rate before the first chunk: cli-progress would say "0s".
  const time = fraction >= 1 ? elapsed : done === 0 ? "ETA --" : `ETA ${duration(Number(params.eta))}`;
  const of = `${amount(done, unit)}/${amount(total, unit)} ${units}`;
  // Sized for the widest the line gets in this step, so the bar keeps its length as it fills;
  // a long step name gives way before the numbers do.
  const tail = `100% | ${amount(total, unit)}/${amount(total, unit)} ${units} | ETA 00m00s`.length;
  const name = fit(step, params.maxWidth - tail - 16);
  const width = Math.max(10, Math.min(30, params.maxWidth - name.length - tail - 6));
  const filled = Math.round(fraction * width);
  return `${name}  [${"=".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% | ${of} | ${time}`;
}

/** `text` in at most `room` characters (at least 12), its middle elided: `reading backups/…/graph.json`. */
function fit(text: string, room: number): string {
  const max = Math.max(12, room);
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/**
 * The CLI's stderr while it works: its `… ` note lines, and, when enabled, one progress bar per
 * step that core reports (`GraphStore`'s `onProgress`), each left on its own line when the
 * next begins. Disabled, it writes exactly the notes the CLI always wrote, and nothing else.
 * Bars never go to stdout, which carries results.
 */
export class ProgressDisplay {
  readonly #stream: NodeJS.WriteStream;
  readonly enabled: boolean;
  #bar: SingleBar | null = null;
  #step: string | null = null;

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream;
    this.enabled = enabled;
  }

  /** Core's `onProgress`. cli-progress throttles the redraws (10 per second at most). */
  readonly update = (progress: Progress): void => {
    if (!this.enabled) return;
    if (progress.step !== this.#step) {
      this.#endBar();
      this.#step = progress.step;
    }
    if (this.#bar) {
      this.#bar.update(progress.done, { progress });
      return;
    }
    this.#bar = new SingleBar({
      stream: this.#stream,
      format: (_options, params, payload: { progress: Progress }) => progressLine(payload.progress, params),
      // Trim to the terminal's width rather than switching its line wrapping off: a CLI killed
      // mid-bar must not leave the user's terminal changed. For the same reason the cursor stays.
      linewrap: true,
      hideCursor: false,
      // `DAWSOS_PROGRESS=always` on a pipe or file: a plain line every 2 s instead of redraws
      // (each already ends its line, so no extra newline once the step is done).
      noTTYOutput: true,
      clearOnComplete: this.#stream.isTTY !== true,
      etaBuffer: 20,
    });
    this.#bar.start(progress.total ?? 0, progress.done, { progress });
  };

  /**
   * A note (`… opening …`), written exactly as without bars. A bar in flight is ended first so
   * the note does not land inside it; its step continues on a fresh bar if it reports again.
   */
  note(text: string): void {
    this.#endBar();
    this.#stream.write(`… ${text}\n`);
  }

  /** Ends the bar in flight: before results are printed, and before the CLI exits. */
  stop(): void {
    this.#endBar();
    this.#step = null;
  }

  #endBar(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
