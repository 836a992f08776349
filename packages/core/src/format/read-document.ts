import { IntegrityError, ValidationError } from "../errors/errors.ts";
import { assertJsonValue } from "../graph/json-value.ts";
import { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { isPlainObject } from "../graph/merge-patch.ts";
import {
  type GraphEdge,
  type GraphNode,
  type JsonObject,
  MAX_ID_LENGTH,
  nullProto,
  type Pattern,
} from "../graph/types.ts";
import { canonicalRecord } from "../integrity/canonical-json.ts";
import { sha256HexSync } from "../integrity/sha256.ts";
import { isAnyDocument, isAnyEdge, isAnyNode } from "./record-shapes.ts";
import { anyDocumentSchema, anyEdgeSchema, anyNodeSchema, patternSchema } from "./schemas.ts";

/** Which of the accepted formats a document was in (SPEC section 4). */
export type DocumentFormat = "dawsos" | "seed" | "python";

/** Top-level members that are ours; anything else is kept verbatim as an "extra". */
export const DOCUMENT_MEMBERS = new Set([
  "version",
  "seq",
  "nodes",
  "edges",
  "patterns",
  "metadata",
  "checksum",
]);

/** Node fields derived from the edges; recomputed, never stored (SPEC section 4). */
const DERIVED_NODE_FIELDS = ["connections_in", "connections_out"];

/**
 * Parses JSON bytes of a stored document, refusing what is obviously not a document with a
 * specific code: empty or NUL-filled files (a crash on some filesystems leaves those) and
 * malformed JSON.
 */
export function parseJsonDocument(bytes: Uint8Array, file: string): unknown {
  if (bytes.length === 0) throw new IntegrityError("empty_file", "file is empty", { file });
  if (bytes.every((b) => b === 0 || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    throw new IntegrityError("empty_file", "file holds only NUL bytes or whitespace", { file });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new IntegrityError("malformed_json", "file is not valid UTF-8", { file, cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new IntegrityError("malformed_json", `file is not valid JSON (${(cause as Error).message})`, {
      file,
      cause,
    });
  }
}

export interface DocumentReadOptions {
  /** Storage key or file name, used in error messages. */
  file?: string;
  /** Timestamp for records that have none (seed format). */
  now: string;
}

export interface ReadDocument {
  graph: KnowledgeGraph;
  format: DocumentFormat;
  /** The `checksum` member as stored, if any (verification is the caller's job). */
  checksum: string | null;
}

function fail(message: string, file: string | undefined, path: string, details?: unknown): never {
  throw new ValidationError(file ? `${file}: ${path}: ${message}` : `${path}: ${message}`, {
    details: { file, path, issues: details },
  });
}

function detectFormat(doc: JsonObject): DocumentFormat {
  if (doc.version === 2 && typeof doc.checksum === "string") return "dawsos";
  const nodes = doc.nodes as JsonObject;
  for (const key of Object.keys(nodes)) {
    const node = nodes[key];
    if (isPlainObject(node) && ("connections_in" in node || "created" in node || "modified" in node))
      return "python";
    break;
  }
  return "seed";
}

/**
 * Builds a graph from a parsed document in any accepted format: ours, the seed format, or the
 * original Python DawsOS files. Python timestamps (`created`/`modified`) become
 * `created_at`/`updated_at` while the originals are kept; derived fields are dropped and
 * recomputed; everything else is preserved. Throws `ValidationError` naming the field.
 */
export function readDocument(raw: unknown, options: DocumentReadOptions): ReadDocument {
  const { file, now } = options;
  if (!isAnyDocument(raw)) {
    const envelope = anyDocumentSchema.safeParse(raw);
    fail("not a graph document", file, "(document)", envelope.success ? undefined : envelope.error.issues);
  }
  const doc = raw as JsonObject;
  const format = detectFormat(doc);
  const metadata = nullProto<unknown>();
  const rawMetadata = isPlainObject(doc.metadata) ? doc.metadata : {};
  for (const key of Object.keys(rawMetadata)) if (key !== "stats") metadata[key] = rawMetadata[key];
  if (metadata.created === undefined) metadata.created = now;
  const extras = nullProto<unknown>();
  for (const key of Object.keys(doc)) if (!DOCUMENT_MEMBERS.has(key)) extras[key] = doc[key];
  // Document-level values are written back verbatim: the same value domain as records.
  try {
    // The metadata object counts as one level, as an edge's `metadata` does.
    assertJsonValue(metadata, "metadata");
    for (const key of Object.keys(extras)) assertJsonValue(extras[key], key);
  } catch (err) {
    fail((err as Error).message, file, "(document)", (err as ValidationError).details);
  }

  const graph = new KnowledgeGraph({ seq: typeof doc.seq === "number" ? doc.seq : 0, metadata, extras });
  const rawNodes = doc.nodes as JsonObject;
  for (const key of Object.keys(rawNodes)) {
    graph.loadNode(normalizeNode(key, rawNodes[key], file, now));
  }
  const rawEdges = (doc.edges ?? []) as unknown[];
  const isTaken = (id: string) => graph.getEdge(id) !== undefined;
  for (let i = 0; i < rawEdges.length; i++) {
    const edge = normalizeEdge(rawEdges[i], i, isTaken, file, now);
    try {
      graph.loadEdge(edge);
    } catch (cause) {
      fail((cause as Error).message, file, `edges[${i}]`);
    }
  }
  const rawPatterns = (doc.patterns ?? {}) as JsonObject;
  for (const key of Object.keys(rawPatterns)) {
    const pattern = rawPatterns[key];
    const parsed = patternSchema.safeParse(pattern);
    if (!parsed.success || key.length === 0 || key.length > MAX_ID_LENGTH) {
      fail("invalid pattern", file, `patterns.${key}`, parsed.success ? undefined : parsed.error.issues);
    }
    graph.loadPattern(key, pattern as Pattern);
  }
  return { graph, format, checksum: typeof doc.checksum === "string" ? doc.checksum : null };
}

function normalizeNode(key: string, raw: unknown, file: string | undefined, now: string): GraphNode {
  const path = `nodes.${key}`;
  if (!isAnyNode(raw)) {
    const parsed = anyNodeSchema.safeParse(raw);
    fail("invalid node", file, path, parsed.success ? undefined : parsed.error.issues);
  }
  if (key.length === 0 || key.length > MAX_ID_LENGTH)
    fail(`id must be 1-${MAX_ID_LENGTH} characters`, file, path);
  if (raw.id !== undefined && raw.id !== key)
    fail(`id ${JSON.stringify(raw.id)} differs from its key`, file, path);
  const created = (raw.created_at ?? raw.created ?? now) as string;
  const fields = {
    id: key,
    data: raw.data ?? {},
    created_at: created,
    updated_at: (raw.updated_at ?? raw.modified ?? created) as string,
  };
  // Stored in canonical key order: every later snapshot then serialises it natively.
  return canonicalRecord(raw, fields, DERIVED_NODE_FIELDS) as GraphNode;
}

function normalizeEdge(
  raw: unknown,
  index: number,
  isTaken: (id: string) => boolean,
  file: string | undefined,
  now: string,
): GraphEdge {
  const path = `edges[${index}]`;
  if (!isAnyEdge(raw)) {
    const parsed = anyEdgeSchema.safeParse(raw);
    fail("invalid edge", file, path, parsed.success ? undefined : parsed.error.issues);
  }
  const fields = {
    id: raw.id ?? deterministicEdgeId(raw.from as string, raw.to as string, raw.type as string, isTaken),
    strength: raw.strength ?? 1,
    created_at: (raw.created_at ?? raw.created ?? now) as string,
  };
  return canonicalRecord(raw, fields) as GraphEdge;
}

/**
 * Seed edges carry no id: derive `e_<from>_<to>_<type>` (as in SPEC's example), suffixed
 * `_2`, `_3`… on collision, or a hash when that would exceed the id length limit.
 */
export function deterministicEdgeId(
  from: string,
  to: string,
  type: string,
  isTaken: (id: string) => boolean,
): string {
  let base = `e_${from}_${to}_${type}`;
  if (base.length > MAX_ID_LENGTH - 8)
    base = `e_${sha256HexSync(`${from}\u0000${to}\u0000${type}`).slice(0, 40)}`;
  if (!isTaken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!isTaken(candidate)) return candidate;
  }
}
