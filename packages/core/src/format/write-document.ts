import { compareIds, type KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { type GraphEdge, type GraphNode, type JsonObject, nullProto, type Pattern } from "../graph/types.ts";
import { canonicalJson } from "../integrity/canonical-json.ts";
import { createSha256, type HasherFactory } from "../integrity/sha256.ts";
import { concatBytes } from "../storage/adapter.ts";

/** The document format version this code writes. */
export const DOCUMENT_VERSION = 2;

/** Receives the document text in order. May return a promise to apply backpressure. */
export type TextSink = (chunk: string) => void | Promise<void>;

/** Size at which buffered output is handed to the sink. */
const CHUNK = 64 * 1024;

/** Metadata as written: the stored members plus freshly computed `stats`. */
function metadataOf(graph: KnowledgeGraph): JsonObject {
  const metadata = nullProto<unknown>();
  for (const key of Object.keys(graph.metadata)) metadata[key] = graph.metadata[key];
  const { avg_connections: _derived, ...stats } = graph.stats();
  metadata.stats = stats;
  return metadata;
}

/**
 * A consistent, immutable view of the graph at one instant. Capturing is synchronous and only
 * collects references (nodes, edges and patterns are replaced on change, never mutated in
 * place), so writers can keep mutating the live graph while the view is serialised.
 *
 * The entries are only iterated, once, in id order: a store that keeps the graph in tables
 * (the SQLite store) passes lazy iterables that page through its rows instead of arrays.
 */
export interface DocumentSnapshot {
  readonly seq: number;
  readonly nodes: Iterable<GraphNode>;
  readonly edges: Iterable<GraphEdge>;
  readonly patterns: Iterable<readonly [string, Pattern]>;
  /** metadata (with fresh stats), extras, seq and version: the small top-level members. */
  readonly scalars: JsonObject;
}

export function captureSnapshot(graph: KnowledgeGraph): DocumentSnapshot {
  const scalars: JsonObject = nullProto();
  for (const key of Object.keys(graph.extras)) scalars[key] = graph.extras[key];
  scalars.metadata = metadataOf(graph);
  scalars.seq = graph.seq;
  scalars.version = DOCUMENT_VERSION;
  return {
    seq: graph.seq,
    nodes: graph.sortedNodeIds().map((id) => graph.getNode(id)!),
    edges: graph.sortedEdgeIds().map((id) => graph.getEdge(id)!),
    patterns: [...graph.patterns()].sort((a, b) => compareIds(a[0], b[0])),
    scalars,
  };
}

/**
 * Streams a snapshot as our on-disk document and returns its checksum.
 *
 * The text is the RFC 8785 canonical JSON of the document without `checksum`, with two
 * additions that keep it cheap to verify and pleasant to read:
 *   - a newline after each node, edge and pattern entry (canonical JSON never contains a raw
 *     newline — they are escaped inside strings — so removing every `\n` byte restores the
 *     canonical bytes exactly), and
 *   - the `checksum` member appended *last*, as `,"checksum":"<hex>"}`.
 * So the checksum is verified by hashing the file's bytes minus newlines minus that fixed-size
 * trailer in one streaming pass, without re-serialising; and the document is hashed while it
 * is being written, never held whole in memory as one string. Entries are written in id order
 * so the bytes depend only on the graph's content.
 */
export async function writeDocument(
  snapshot: DocumentSnapshot,
  sink: TextSink,
  hasherFactory: HasherFactory = createSha256,
): Promise<string> {
  const result: { checksum?: string } = {};
  for (const chunk of documentText(snapshot, hasherFactory, result)) await sink(chunk);
  return result.checksum!;
}

/**
 * The document text in chunks of about 64 KiB, produced lazily as the consumer pulls (so a
 * slow disk paces serialisation and memory stays flat). `result.checksum` is set once the
 * last chunk has been produced.
 */
export function* documentText(
  snapshot: DocumentSnapshot,
  hasherFactory: HasherFactory = createSha256,
  result: { checksum?: string } = {},
): Generator<string> {
  const hasher = hasherFactory();
  let buffer = "";
  const take = () => {
    hasher.update(buffer.replaceAll("\n", ""));
    const out = buffer;
    buffer = "";
    return out;
  };
  function* entries(open: string, close: string, items: Iterable<string>): Generator<string> {
    buffer += open;
    let first = true;
    for (const item of items) {
      buffer += first ? `\n${item}` : `,\n${item}`;
      first = false;
      if (buffer.length >= CHUNK) yield take();
    }
    buffer += `\n${close}`;
  }
  const sections: Record<string, () => Generator<string>> = {
    edges: () =>
      entries(
        '"edges":[',
        "]",
        map(snapshot.edges, (e) => canonicalJson(e)),
      ),
    nodes: () =>
      entries(
        '"nodes":{',
        "}",
        map(snapshot.nodes, (n) => `${JSON.stringify(n.id)}:${canonicalJson(n)}`),
      ),
    patterns: () =>
      entries(
        '"patterns":{',
        "}",
        map(snapshot.patterns, ([id, p]) => `${JSON.stringify(id)}:${canonicalJson(p)}`),
      ),
  };
  const keys = [...Object.keys(sections), ...Object.keys(snapshot.scalars)].sort(compareIds);
  buffer += "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) buffer += ",";
    const section = sections[key];
    if (section) yield* section();
    else buffer += `${JSON.stringify(key)}:${canonicalJson(snapshot.scalars[key])}`;
  }
  // The closing brace belongs to the canonical text that is hashed; in the file the
  // checksum trailer takes its place and closes the object.
  const last = take();
  hasher.update("}");
  result.checksum = hasher.digestHex();
  yield `${last},"checksum":"${result.checksum}"}\n`;
}

function* map<T>(items: Iterable<T>, fn: (item: T) => string): Iterable<string> {
  for (const item of items) yield fn(item);
}

/**
 * Serialises the graph to bytes in the format of {@link writeDocument}. For files that fit in
 * memory comfortably; streaming callers use `writeDocument` with their own sink.
 */
export async function encodeDocument(
  source: KnowledgeGraph | DocumentSnapshot,
  hasherFactory?: HasherFactory,
): Promise<{ bytes: Uint8Array; checksum: string }> {
  const snapshot = "scalars" in source ? source : captureSnapshot(source);
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const checksum = await writeDocument(
    snapshot,
    (chunk) => {
      parts.push(encoder.encode(chunk));
    },
    hasherFactory,
  );
  return { bytes: concatBytes(parts), checksum };
}

/** The document as a plain object (what `GET /api/graph` returns), checksum included. */
export async function documentObject(
  graph: KnowledgeGraph,
  hasherFactory?: HasherFactory,
): Promise<JsonObject> {
  const { bytes } = await encodeDocument(graph, hasherFactory);
  return JSON.parse(new TextDecoder().decode(bytes)) as JsonObject;
}
