import { IntegrityError } from "../errors/errors.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { GraphEdge } from "../graph/types.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { NOT_LINE_LAYOUT, readDocumentRecords, recordError } from "./document-records.ts";

export interface StreamedDocument {
  graph: KnowledgeGraph;
  checksum: string;
}

/**
 * Loads a document written by `writeDocument` from a byte stream into a `KnowledgeGraph`, one
 * line (one node, edge or pattern) at a time, hashing as it goes: memory stays proportional to
 * the graph, never to the JSON text, so files larger than V8's maximum string length load.
 * Returns `NOT_LINE_LAYOUT` as soon as the first line shows another layout (pretty-printed,
 * Python), having consumed only that line. Damage is an `IntegrityError` naming `file`.
 */
export async function readDocumentStream(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  hasherFactory: HasherFactory = createSha256,
): Promise<StreamedDocument | typeof NOT_LINE_LAYOUT> {
  const graph = new KnowledgeGraph();
  // Edges come first in the file but need their endpoints: loaded once every node is.
  const edges: GraphEdge[] = [];
  const intern = new StringInterner();
  const members = await readDocumentRecords(
    chunks,
    file,
    {
      node(node, line) {
        try {
          if (typeof node.type === "string") node.type = intern.type(node.type);
          if (typeof node.created_at === "string") node.created_at = intern.time(node.created_at);
          if (typeof node.updated_at === "string") node.updated_at = intern.time(node.updated_at);
          graph.loadNode(node);
        } catch (cause) {
          throw recordError(file, line, "nodes", cause);
        }
      },
      edge(edge) {
        edges.push(edge);
      },
      pattern(id, pattern, line) {
        try {
          graph.loadPattern(id, pattern);
        } catch (cause) {
          throw recordError(file, line, "patterns", cause);
        }
      },
    },
    hasherFactory,
  );
  if (members === NOT_LINE_LAYOUT) return NOT_LINE_LAYOUT;
  for (let i = 0; i < edges.length; i++) {
    try {
      const edge = edges[i]!;
      // The endpoints become the node's own id string: each parsed edge had its own copies.
      const from = typeof edge.from === "string" ? graph.getNode(edge.from) : undefined;
      const to = typeof edge.to === "string" ? graph.getNode(edge.to) : undefined;
      if (from) edge.from = from.id;
      if (to) edge.to = to.id;
      if (typeof edge.type === "string") edge.type = intern.type(edge.type);
      if (typeof edge.created_at === "string") edge.created_at = intern.time(edge.created_at);
      graph.loadEdge(edge);
    } catch (cause) {
      throw new IntegrityError("invalid_document", `edges[${i}]: ${(cause as Error).message}`, {
        file,
        cause,
      });
    }
  }
  graph.setDocumentMembers(members.seq, members.metadata, members.extras);
  return { graph, checksum: members.checksum };
}

/**
 * Shares equal strings between the records of one load: JSON.parse gives every record its own
 * copy of its `type` and timestamps, tens of bytes each, for a handful of distinct types and,
 * in a seeded or imported graph, one timestamp shared by every record. Types are interned in a
 * bounded map; a timestamp only when it repeats the one before (no map of unique ones).
 */
class StringInterner {
  readonly #types = new Map<string, string>();
  #lastTime = "";

  type(value: string): string {
    const known = this.#types.get(value);
    if (known !== undefined) return known;
    if (this.#types.size < 10_000) this.#types.set(value, value);
    return value;
  }

  time(value: string): string {
    if (value === this.#lastTime) return this.#lastTime;
    this.#lastTime = value;
    return value;
  }
}
