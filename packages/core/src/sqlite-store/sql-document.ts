import { DOCUMENT_VERSION, type DocumentSnapshot } from "../format/write-document.ts";
import { type JsonObject, nullProto } from "../graph/types.ts";
import type { SqlGraphReads } from "./sql-graph-reads.ts";

/**
 * The document of one table set as a `DocumentSnapshot` for `documentText`: the scalars are
 * read now, the nodes, edges and patterns lazily in id order, one page of rows per statement,
 * as the text is pulled. So the document streams in the exact canonical line layout every
 * other store writes (its trailer checksum verifies) without the graph ever being in memory.
 */
export function tableSnapshot(reads: SqlGraphReads, seq: number): DocumentSnapshot {
  const scalars: JsonObject = nullProto();
  const extras = reads.extras();
  for (const key of Object.keys(extras)) scalars[key] = extras[key];
  const metadata = reads.metadata();
  metadata.stats = {
    total_nodes: reads.count("nodes"),
    total_edges: reads.count("edges"),
    total_patterns: reads.count("patterns"),
    node_types: reads.typeCounts("node"),
    edge_types: reads.typeCounts("edge"),
  };
  scalars.metadata = metadata;
  scalars.seq = seq;
  scalars.version = DOCUMENT_VERSION;
  return {
    seq,
    nodes: { [Symbol.iterator]: () => reads.nodesInIdOrder() },
    edges: { [Symbol.iterator]: () => reads.edgesInIdOrder() },
    patterns: { [Symbol.iterator]: () => reads.patternsInIdOrder() },
    scalars,
  };
}
