import { IntegrityError } from "../errors/errors.ts";
import { isPlainObject } from "../graph/merge-patch.ts";
import { type GraphEdge, type GraphNode, type JsonObject, nullProto, type Pattern } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { readLineBatches } from "./line-reader.ts";
import { patternSchema } from "./schemas.ts";

/** The file is not in the line layout `writeDocument` produces; the caller falls back. */
export const NOT_LINE_LAYOUT = Symbol("not-line-layout");

export type DocumentSection = "edges" | "nodes" | "patterns";

/**
 * Receives a document's records in file order (edges first: the sections are in canonical key
 * order). Records are parsed but not validated beyond their shape (a node is an object whose
 * `id` is its key, a pattern passes the pattern schema); the sink validates what it needs.
 * An error a sink throws stops the read and propagates unchanged: a sink that writes
 * somewhere (the SQLite import) must not have its storage failures relabelled as damage.
 */
export interface DocumentRecordSink {
  node(node: GraphNode, line: number): void;
  edge(edge: GraphEdge, line: number): void;
  pattern(id: string, pattern: Pattern, line: number): void;
}

/** The document-level members, known once the whole file has been read and verified. */
export interface DocumentMembers {
  seq: number;
  /** Without `stats` (derived, recomputed). */
  metadata: JsonObject;
  /** Unknown top-level members, kept verbatim. */
  extras: JsonObject;
  /** The trailer checksum, verified against the content. */
  checksum: string;
}

const OPENERS: Array<[string, DocumentSection]> = [
  ['"edges":[', "edges"],
  ['"nodes":{', "nodes"],
  ['"patterns":{', "patterns"],
];
const CLOSERS: Record<DocumentSection, string> = { edges: "]", nodes: "}", patterns: "}" };
const TRAILER = /,"checksum":"([0-9a-f]{64})"\}\s*$/;

/** The error for a record that cannot be used: names the file, the line and the section. */
export function recordError(
  file: string,
  line: number,
  section: DocumentSection,
  cause: unknown,
): IntegrityError {
  return new IntegrityError("invalid_document", `line ${line} (${section}): ${(cause as Error).message}`, {
    file,
    cause,
  });
}

/**
 * Reads a document written by `writeDocument` from a byte stream, one line (one node, edge or
 * pattern) at a time, handing each record to `sink` and hashing as it goes: memory stays
 * proportional to one line plus one chunk, never to the document. Returns `NOT_LINE_LAYOUT`
 * as soon as the first line shows another layout (pretty-printed, Python), having consumed
 * only that line. Damage is an `IntegrityError` naming `file`; the checksum is only known to
 * match once this resolves, so a sink must treat what it received as provisional until then.
 */
export async function readDocumentRecords(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  sink: DocumentRecordSink,
  hasherFactory: HasherFactory = createSha256,
): Promise<DocumentMembers | typeof NOT_LINE_LAYOUT> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const hasher = hasherFactory();
  const fail = (
    code: "malformed_json" | "invalid_document" | "checksum_mismatch",
    message: string,
    cause?: unknown,
  ) => new IntegrityError(code, message, { file, cause });

  const scalars: JsonObject = nullProto();
  let section: DocumentSection | null = null;
  let lineNo = 0;
  let stored: string | null = null;
  let sawAny = false;

  const readScalars = (text: string) => {
    const inner = text.replace(/^,/, "").replace(/,$/, "");
    if (inner === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(`{${inner}}`);
    } catch (cause) {
      throw fail("malformed_json", `line ${lineNo} is not valid JSON`, cause);
    }
    for (const key of Object.keys(parsed as JsonObject)) scalars[key] = (parsed as JsonObject)[key];
  };

  for await (const batch of readLineBatches(chunks)) {
    for (const bytes of batch) {
      lineNo++;
      let line: string;
      try {
        line = decoder.decode(bytes);
      } catch (cause) {
        throw fail("malformed_json", `line ${lineNo} is not valid UTF-8`, cause);
      }
      if (lineNo === 1) {
        const opens = OPENERS.some(([opener]) => line.endsWith(opener));
        if (!line.startsWith('{"') || !(opens || TRAILER.test(line))) return NOT_LINE_LAYOUT;
      }
      if (stored !== null) {
        if (line.trim() === "") continue;
        throw fail("malformed_json", `unexpected content after the end of the document (line ${lineNo})`);
      }
      sawAny = true;
      const entryStart = section === "edges" ? "{" : '"';
      if (section && line.startsWith(entryStart)) {
        hasher.update(bytes);
        const text = line.endsWith(",") ? line.slice(0, -1) : line;
        let record: { id: string; value: unknown };
        try {
          record = parseEntry(section, text);
        } catch (cause) {
          if (cause instanceof SyntaxError)
            throw fail("malformed_json", `line ${lineNo} is not valid JSON`, cause);
          throw recordError(file, lineNo, section, cause);
        }
        // Outside the try: the sink's own errors are not this file's damage (see DocumentRecordSink).
        if (section === "edges") sink.edge(record.value as GraphEdge, lineNo);
        else if (section === "nodes") sink.node(record.value as GraphNode, lineNo);
        else sink.pattern(record.id, record.value as Pattern, lineNo);
        continue;
      }
      // A structural line: [closer] [,"key":value …] (opener | checksum trailer)
      let text = line;
      if (lineNo === 1) {
        text = text.slice(1);
      } else if (section) {
        if (!text.startsWith(CLOSERS[section]))
          throw fail("malformed_json", `line ${lineNo} is not a ${section} entry`);
        text = text.slice(1);
      } else {
        throw fail("malformed_json", `unexpected line ${lineNo}`);
      }
      const trailer = TRAILER.exec(text);
      if (trailer) {
        stored = trailer[1]!;
        const body = text.slice(0, trailer.index);
        hasher.update((lineNo === 1 ? "{" : CLOSERS[section!]) + body);
        hasher.update("}");
        readScalars(body);
        section = null;
        continue;
      }
      const opener = OPENERS.find(([o]) => text.endsWith(o));
      if (!opener)
        throw fail("malformed_json", `line ${lineNo} neither opens a section nor ends the document`);
      hasher.update(bytes);
      readScalars(text.slice(0, text.length - opener[0].length));
      section = opener[1];
    }
  }
  if (!sawAny || stored === null) throw fail("malformed_json", "the document ends early (truncated file)");
  if (hasher.digestHex() !== stored) throw fail("checksum_mismatch", "checksum does not match the content");
  if (scalars.version !== 2 || typeof scalars.seq !== "number" || !isPlainObject(scalars.metadata)) {
    throw fail("invalid_document", "version, seq or metadata missing or invalid");
  }
  const metadata = nullProto<unknown>();
  for (const key of Object.keys(scalars.metadata)) if (key !== "stats") metadata[key] = scalars.metadata[key];
  const extras = nullProto<unknown>();
  for (const key of Object.keys(scalars)) {
    if (key !== "version" && key !== "seq" && key !== "metadata") extras[key] = scalars[key];
  }
  return { seq: scalars.seq, metadata, extras, checksum: stored };
}

/** One entry line: an edge object, or a one-member object `"<id>":{…}` (node, pattern). */
function parseEntry(section: DocumentSection, text: string): { id: string; value: unknown } {
  if (section === "edges") return { id: "", value: JSON.parse(text) };
  const entry = JSON.parse(`{${text}}`) as JsonObject;
  const [id] = Object.keys(entry);
  if (id === undefined) throw new Error("empty entry");
  const value = entry[id];
  if (section === "nodes") {
    if (!isPlainObject(value) || value.id !== id)
      throw new Error(`node id differs from its key ${JSON.stringify(id)}`);
  } else if (!patternSchema.safeParse(value).success) {
    throw new Error(`invalid pattern ${JSON.stringify(id)}`);
  }
  return { id, value };
}
