import { IntegrityError } from "../errors/errors.ts";
import { assertEdge, assertId, assertNode, assertPattern } from "../graph/validate.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { NOT_LINE_LAYOUT, readDocumentRecords, recordError } from "./document-records.ts";

/**
 * Checks a stored document in our line layout without building the graph (`dawsos verify`,
 * `GET /api/integrity`): the trailer checksum over the bytes as they stream, every record
 * against the same rules loading applies (`assertNode`, `assertEdge`, `assertPattern`), no
 * duplicate node or edge id, and every edge's endpoints among the nodes. What stays in memory
 * is the ids and each edge's endpoints — not the records, their data or any index — so a
 * 1M-node graph verifies in a fraction of the memory of loading it.
 *
 * Returns `NOT_LINE_LAYOUT` for another layout (pretty JSON, the Python format), and for a
 * document whose edges are not in id order (not written by `writeDocument`): the caller loads
 * those whole. Damage is an `IntegrityError` naming `file`, with the same codes loading
 * reports.
 */
export async function checkDocumentStream(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  hasher?: HasherFactory,
): Promise<{ checksum: string; nodes: number; edges: number } | typeof NOT_LINE_LAYOUT> {
  const nodeIds = new Set<string>();
  // Our writer lists edges in id order, so a duplicate is the line before it: no set of edge
  // ids (3M strings at 1M nodes). Edges out of order were not written by us: the caller loads
  // that file whole instead, as opening it would.
  let previousEdge: string | null = null;
  let outOfOrder = false;
  let edgeCount = 0;
  // Edges come first in the file (sections are in key order): their endpoints wait for the nodes.
  const from: string[] = [];
  const to: string[] = [];
  const lines: number[] = [];
  const members = await readDocumentRecords(
    chunks,
    file,
    {
      node(node, line) {
        try {
          assertNode(node);
          if (nodeIds.has(node.id)) throw new Error(`duplicate node id ${JSON.stringify(node.id)}`);
        } catch (cause) {
          throw recordError(file, line, "nodes", cause);
        }
        nodeIds.add(node.id);
      },
      edge(edge, line) {
        try {
          assertEdge(edge);
          if (previousEdge === edge.id) throw new Error(`duplicate edge id ${JSON.stringify(edge.id)}`);
        } catch (cause) {
          throw recordError(file, line, "edges", cause);
        }
        if (previousEdge !== null && !(previousEdge < edge.id)) outOfOrder = true;
        previousEdge = edge.id;
        edgeCount++;
        from.push(edge.from);
        to.push(edge.to);
        lines.push(line);
      },
      pattern(id, pattern, line) {
        try {
          assertId(id, "pattern id");
          assertPattern(pattern);
        } catch (cause) {
          throw recordError(file, line, "patterns", cause);
        }
      },
    },
    hasher,
  );
  if (members === NOT_LINE_LAYOUT || outOfOrder) return NOT_LINE_LAYOUT;
  for (let i = 0; i < from.length; i++) {
    const missing = !nodeIds.has(from[i]!) ? from[i] : !nodeIds.has(to[i]!) ? to[i] : undefined;
    if (missing !== undefined) {
      throw new IntegrityError(
        "invalid_document",
        `line ${lines[i]} (edges): unknown node ${JSON.stringify(missing)}`,
        {
          file,
        },
      );
    }
  }
  return { checksum: members.checksum, nodes: nodeIds.size, edges: edgeCount };
}
