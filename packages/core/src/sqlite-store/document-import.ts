import { IntegrityError, ValidationError } from "../errors/errors.ts";
import { NOT_LINE_LAYOUT, readDocumentRecords } from "../format/document-records.ts";
import type { GraphEdge, GraphNode, Pattern } from "../graph/types.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { type GraphImport, isDuplicateIdError } from "./graph-import.ts";

export interface DocumentImportOptions {
  /** Storage key of the document, named by errors. */
  file: string;
  /** Rows per `addChunk` (one transaction each). */
  chunkRows: number;
  hasher: HasherFactory;
}

/** What a streamed document put into the shadow tables. */
export interface ImportedDocument {
  nodes: number;
  edges: number;
  patterns: number;
  /** The document's own `seq` and its verified trailer checksum. */
  seq: number;
  checksum: string;
}

/**
 * Streams a document in our line layout into an open `GraphImport`: records are parsed one
 * line at a time (`readDocumentRecords`) and handed to `addChunk` every `chunkRows` rows, so
 * neither the document nor the graph is ever held — what a 128 MB isolate needs for a 100k-node
 * restore. The trailer checksum is only known at the end, so until this resolves the shadow
 * tables hold unverified rows: the caller commits the import only after it resolved (and
 * aborts it otherwise). Resolves to `NOT_LINE_LAYOUT`, having imported nothing, for a file in
 * another layout (the caller falls back to loading it).
 *
 * Damage is an `IntegrityError` naming `file`, as when the document is loaded: bad JSON, a bad
 * checksum, an invalid record (`invalid_document`, naming the lines of its chunk), an id given
 * twice, an edge naming a node that is not in the document. Storage failures pass unchanged.
 */
export async function importDocumentStream(
  graphImport: GraphImport,
  chunks: AsyncIterable<Uint8Array>,
  options: DocumentImportOptions,
): Promise<ImportedDocument | typeof NOT_LINE_LAYOUT> {
  const { file } = options;
  const chunkRows = Math.max(1, options.chunkRows);
  const counts = { nodes: 0, edges: 0, patterns: 0 };
  let nodes: GraphNode[] = [];
  let edges: GraphEdge[] = [];
  let patterns: Array<readonly [string, Pattern]> = [];
  let firstLine = 0;
  let lastLine = 0;

  const buffered = () => nodes.length + edges.length + patterns.length;

  // Records are validated by `addChunk` (once, not also here); its errors name the chunk's rows,
  // which the line range turns back into a place in the file.
  const flush = () => {
    if (buffered() === 0) return;
    try {
      graphImport.addChunk({ nodes, edges, patterns });
    } catch (err) {
      if (err instanceof ValidationError || isDuplicateIdError(err)) {
        throw new IntegrityError("invalid_document", `lines ${firstLine}-${lastLine}: ${err.message}`, {
          file,
          cause: err,
        });
      }
      throw err;
    }
    counts.nodes += nodes.length;
    counts.edges += edges.length;
    counts.patterns += patterns.length;
    nodes = [];
    edges = [];
    patterns = [];
  };
  const add = (line: number, push: () => void) => {
    if (buffered() === 0) firstLine = line;
    push();
    lastLine = line;
    if (buffered() >= chunkRows) flush();
  };

  const members = await readDocumentRecords(
    chunks,
    file,
    {
      node: (node, line) => add(line, () => nodes.push(node)),
      edge: (edge, line) => add(line, () => edges.push(edge)),
      pattern: (id, pattern, line) => add(line, () => patterns.push([id, pattern])),
    },
    options.hasher,
  );
  if (members === NOT_LINE_LAYOUT) return NOT_LINE_LAYOUT;
  flush();
  try {
    graphImport.setDocument({ seq: members.seq, metadata: members.metadata, extras: members.extras });
    // Edges come first in the file, before the nodes they name: only now can they be checked.
    graphImport.assertEdgesResolve();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw new IntegrityError("invalid_document", err.message, { file, cause: err });
  }
  return { ...counts, seq: members.seq, checksum: members.checksum };
}
