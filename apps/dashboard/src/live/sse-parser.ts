/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** `event:` field, `"message"` when the event named none. */
  type: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The stream's last event id when this event was dispatched (`id:` persists across events). */
  lastEventId: string;
}

/**
 * An incremental `text/event-stream` parser (the WHATWG HTML "event stream interpretation"),
 * fed with decoded text chunks as `fetch` delivers them. Hand-written because `EventSource`
 * cannot send an `Authorization` header, and the few lines here cost less than a dependency.
 *
 * Lines end with CRLF, LF or CR; a chunk may end between the CR and the LF of one CRLF, which
 * must still count as one line end (`pendingCr`). Comments (`:` lines, our heartbeats) are
 * counted so the caller can tell a live but idle stream from a dead one.
 */
export class SseParser {
  #buffer = "";
  #pendingCr = false;
  #started = false;
  #data: string[] = [];
  #type = "";
  #lastEventId = "";
  /** Comment lines seen so far. */
  comments = 0;
  /** The last valid `retry:` value (ms), if any. */
  retryMs: number | undefined;

  /** Parses `chunk` and returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    if (chunk.length === 0) return [];
    let text = chunk;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR ended the previous chunk: an LF starting this one belongs to the same line end.
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    const out: SseEvent[] = [];
    const buffer = this.#buffer + text;
    // One pass with an index: a batch of a few hundred events arrives as one chunk, and slicing
    // the rest of the buffer at every line would copy it over and over.
    // The next CR and LF are searched again only once passed (a stream of LF-only lines would
    // otherwise scan to the end for a CR at every line).
    let pos = 0;
    let cr = -2;
    let lf = -2;
    for (;;) {
      if (cr !== -1 && cr < pos) cr = buffer.indexOf("\r", pos);
      if (lf !== -1 && lf < pos) lf = buffer.indexOf("\n", pos);
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < buffer.length) next = buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
        else {
          next = cr + 1;
          this.#pendingCr = true;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      const event = this.#line(buffer.slice(pos, end));
      if (event) out.push(event);
      pos = next;
    }
    this.#buffer = buffer.slice(pos);
    return out;
  }

  #line(line: string): SseEvent | null {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#type = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#lastEventId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored (the standard says so).
    }
    return null;
  }

  #dispatch(): SseEvent | null {
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = "";
    // An event without data is not dispatched, but an `id:` in it still counts.
    if (data.length === 0) return null;
    return { type: type || "message", data: data.join("\n"), lastEventId: this.#lastEventId };
  }
}
