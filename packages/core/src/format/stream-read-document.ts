import { IntegrityError } from "../errors/errors.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { isPlainObject } from "../graph/merge-patch.ts";
import { type GraphEdge, type GraphNode, type JsonObject, nullProto, type Pattern } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { readLines } from "./line-reader.ts";
import { patternSchema } from "./schemas.ts";

/** The file is not in the line layout `writeDocument` produces; the caller falls back. */
export const NOT_LINE_LAYOUT = Symbol("not-line-layout");

type Section = "edges" | "nodes" | "patterns";
const OPENERS: Array<[string, Section]> = [
  ['"edges":[', "edges"],
  ['"nodes":{', "nodes"],
  ['"patterns":{', "patterns"],
];
const CLOSERS: Record<Section, string> = { edges: "]", nodes: "}", patterns: "}" };
const TRAILER = /,"checksum":"([0-9a-f]{64})"\}\s*$/;

export interface StreamedDocument {
  graph: KnowledgeGraph;
  checksum: string;
}

/**
 * Loads a document written by `writeDocument` from a byte stream, one line (one node, edge or
 * pattern) at a time, hashing as it goes: memory stays proportional to the graph, never to
 * the JSON text, so files larger than V8's maximum string length load. Returns
 * `NOT_LINE_LAYOUT` as soon as the first line shows another layout (pretty-printed, Python),
 * having consumed only that line. Damage is an `IntegrityError` naming `file`.
 */
export async function readDocumentStream(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  hasherFactory: HasherFactory = createSha256,
): Promise<StreamedDocument | typeof NOT_LINE_LAYOUT> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const hasher = hasherFactory();
  const fail = (
    code: "malformed_json" | "invalid_document" | "checksum_mismatch",
    message: string,
    cause?: unknown,
  ) => new IntegrityError(code, message, { file, cause });

  const scalars: JsonObject = nullProto();
  const edges: GraphEdge[] = [];
  const graph = new KnowledgeGraph();
  let section: Section | null = null;
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

  for await (const bytes of readLines(chunks)) {
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
      try {
        if (section === "edges") {
          edges.push(JSON.parse(text) as GraphEdge);
        } else {
          const entry = JSON.parse(`{${text}}`) as JsonObject;
          const [id] = Object.keys(entry);
          if (id === undefined) throw new Error("empty entry");
          if (section === "nodes") {
            const node = entry[id] as GraphNode;
            if (!isPlainObject(node) || node.id !== id)
              throw new Error(`node id differs from its key ${JSON.stringify(id)}`);
            graph.loadNode(node);
          } else {
            if (!patternSchema.safeParse(entry[id]).success)
              throw new Error(`invalid pattern ${JSON.stringify(id)}`);
            graph.loadPattern(id, entry[id] as Pattern);
          }
        }
      } catch (cause) {
        if (cause instanceof SyntaxError)
          throw fail("malformed_json", `line ${lineNo} is not valid JSON`, cause);
        throw fail("invalid_document", `line ${lineNo} (${section}): ${(cause as Error).message}`, cause);
      }
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
    if (!opener) throw fail("malformed_json", `line ${lineNo} neither opens a section nor ends the document`);
    hasher.update(bytes);
    readScalars(text.slice(0, text.length - opener[0].length));
    section = opener[1];
  }
  if (!sawAny || stored === null) throw fail("malformed_json", "the document ends early (truncated file)");
  if (hasher.digestHex() !== stored) throw fail("checksum_mismatch", "checksum does not match the content");
  if (scalars.version !== 2 || typeof scalars.seq !== "number" || !isPlainObject(scalars.metadata)) {
    throw fail("invalid_document", "version, seq or metadata missing or invalid");
  }
  for (let i = 0; i < edges.length; i++) {
    try {
      graph.loadEdge(edges[i]!);
    } catch (cause) {
      throw fail("invalid_document", `edges[${i}]: ${(cause as Error).message}`, cause);
    }
  }
  const metadata = nullProto<unknown>();
  for (const key of Object.keys(scalars.metadata)) if (key !== "stats") metadata[key] = scalars.metadata[key];
  graph.setDocumentMembers(scalars.seq, metadata, extrasOf(scalars));
  return { graph, checksum: stored };
}

function extrasOf(scalars: JsonObject): JsonObject {
  const extras = nullProto<unknown>();
  for (const key of Object.keys(scalars)) {
    if (key !== "version" && key !== "seq" && key !== "metadata") extras[key] = scalars[key];
  }
  return extras;
}
