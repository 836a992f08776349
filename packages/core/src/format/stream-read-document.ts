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
  const members = await readDocumentRecords(
    chunks,
    file,
    {
      node(node, line) {
        try {
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
      graph.loadEdge(edges[i]!);
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
