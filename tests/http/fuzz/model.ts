/**
 * The client-side model of the fuzz test (tests/http/fuzz.test.ts): what every acknowledged write
 * made of the graph, applied with the server's semantics (merge patch, derived edge ids, batch
 * resolution), and the helpers that read bodies and paths the way the server does.
 */
import { createHash } from "node:crypto";

// ================================================================================== JSON helpers

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Sets an own property, also for `__proto__` (what JSON.parse does too). */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Sorted-key JSON, for comparing values whatever their key order. */
export function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const obj = value as JsonObject;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
    .join(",")}}`;
}

/** RFC 7396 merge patch, as the server applies it to `data` (returns a new object). */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(target)) setOwn(result, key, target[key]);
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete result[key];
    else if (isObject(value)) {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setOwn(result, key, mergePatch(isObject(current) ? current : {}, value));
    } else setOwn(result, key, value);
  }
  return result;
}

export const INVALID = Symbol("invalid JSON");

/** What the server parses from these bytes: WHATWG UTF-8 decode (BOM dropped, U+FFFD), JSON.parse. */
export function parseBody(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return INVALID;
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return INVALID;
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

/** How Hono decodes a path parameter: decodeURIComponent, or per %XX run where that fails. */
export function honoDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** Percent-encodes an id for a path, or `null` when it cannot be (lone surrogates, dot segments). */
export function enc(id: string): string | null {
  if (id === "." || id === "..") return null; // URL parsing resolves dot segments
  try {
    return encodeURIComponent(id);
  } catch {
    return null;
  }
}

/** The id the server derives for an edge without one (core `deterministicEdgeId`). */
export function derivedEdgeId(
  from: string,
  to: string,
  type: string,
  taken: (id: string) => boolean,
): string {
  let base = `e_${from}_${to}_${type}`;
  if (base.length > 256 - 8)
    base = `e_${createHash("sha256").update(`${from}\u0000${to}\u0000${type}`, "utf8").digest("hex").slice(0, 40)}`;
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken(candidate)) return candidate;
  }
}

/** A JSON text with exactly `levels` nested containers around `leaf`. */
export function nest(levels: number, style: "array" | "object" | "mixed", leaf = "1"): string {
  let open = "";
  let close = "";
  for (let i = 0; i < levels; i++) {
    const array = style === "array" || (style === "mixed" && i % 2 === 0);
    open += array ? "[" : '{"k":';
    close = (array ? "]" : "}") + close;
  }
  return open + leaf + close;
}

/** A node PUT body of exactly `bytes` bytes. */
export function nodeBodyOfSize(bytes: number): Buffer {
  const head = '{"type":"big","data":{"pad":"';
  const tail = '"}}';
  return Buffer.from(head + "a".repeat(bytes - head.length - tail.length) + tail);
}

/** A batch body of exactly `bytes` bytes (one put_node of id `big`). */
export function batchBodyOfSize(bytes: number): Buffer {
  const head = '{"ops":[{"op":"put_node","id":"big","type":"big","data":{"pad":"';
  const tail = '"}}]}';
  return Buffer.from(head + "b".repeat(bytes - head.length - tail.length) + tail);
}

// ================================================================================== the model

export interface MNode {
  type: string;
  data: JsonObject;
}

export interface MEdge {
  from: string;
  to: string;
  type: string;
  strength: number;
  metadata: unknown;
}

export interface GraphDoc {
  seq: number;
  nodes: Record<string, { type: string; data?: JsonObject }>;
  edges: Array<{ id: string; from: string; to: string; type: string; strength: number; metadata?: unknown }>;
  patterns: Record<string, unknown>;
}

/** What the client knows the graph holds: every acknowledged write, applied in order. */
export class Model {
  nodes = new Map<string, MNode>();
  edges = new Map<string, MEdge>();
  patterns = new Map<string, unknown>();
  #sorted: { nodes: string[]; edges: string[]; patterns: string[] } | null = null;

  static fromDocument(doc: GraphDoc): Model {
    const m = new Model();
    for (const id of Object.keys(doc.nodes)) {
      const node = doc.nodes[id]!;
      m.nodes.set(id, { type: node.type, data: node.data ?? {} });
    }
    for (const e of doc.edges)
      m.edges.set(e.id, { from: e.from, to: e.to, type: e.type, strength: e.strength, metadata: e.metadata });
    for (const id of Object.keys(doc.patterns)) m.patterns.set(id, doc.patterns[id]);
    return m;
  }

  clone(): Model {
    const m = new Model();
    m.nodes = new Map(this.nodes);
    m.edges = new Map(this.edges);
    m.patterns = new Map(this.patterns);
    return m;
  }

  changed(): void {
    this.#sorted = null;
  }

  sorted() {
    this.#sorted ??= {
      nodes: [...this.nodes.keys()].sort(),
      edges: [...this.edges.keys()].sort(),
      patterns: [...this.patterns.keys()].sort(),
    };
    return this.#sorted;
  }

  deleteNode(id: string): void {
    this.nodes.delete(id);
    for (const [edgeId, edge] of this.edges)
      if (edge.from === id || edge.to === id) this.edges.delete(edgeId);
  }

  /** A document in the seed format (no version, seq or checksum) holding exactly this graph. */
  toSeedDocument(): JsonObject {
    const nodes: JsonObject = {};
    for (const [id, n] of this.nodes) setOwn(nodes, id, { type: n.type, data: n.data });
    const patterns: JsonObject = {};
    for (const [id, p] of this.patterns) setOwn(patterns, id, p);
    const edges = [...this.edges].map(([id, e]) => ({
      id,
      from: e.from,
      to: e.to,
      type: e.type,
      strength: e.strength,
      ...(e.metadata === undefined ? {} : { metadata: e.metadata }),
    }));
    return { nodes, edges, patterns };
  }
}

/** The first differences between the model and a served document. */
export function differences(m: Model, doc: GraphDoc, limit = 8): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (out.length < limit) out.push(s);
  };
  const docNodes = Object.keys(doc.nodes);
  for (const id of docNodes) {
    const want = m.nodes.get(id);
    const got = doc.nodes[id]!;
    if (!want) add(`node ${JSON.stringify(id)} is served but was never acknowledged (or was deleted)`);
    else if (want.type !== got.type || canonical(want.data) !== canonical(got.data ?? {}))
      add(
        `node ${JSON.stringify(id)}: acknowledged ${canonical(want).slice(0, 200)}, served ${canonical({ type: got.type, data: got.data }).slice(0, 200)}`,
      );
  }
  const served = new Set(docNodes);
  for (const id of m.nodes.keys())
    if (!served.has(id)) add(`acknowledged node ${JSON.stringify(id)} is missing`);
  const docEdges = new Map(doc.edges.map((e) => [e.id, e]));
  for (const [id, got] of docEdges) {
    const want = m.edges.get(id);
    if (!want) add(`edge ${JSON.stringify(id)} is served but was never acknowledged (or was deleted)`);
    else if (
      canonical([want.from, want.to, want.type, want.strength, want.metadata]) !==
      canonical([got.from, got.to, got.type, got.strength, got.metadata])
    )
      add(
        `edge ${JSON.stringify(id)}: acknowledged ${canonical(want).slice(0, 200)}, served ${canonical(got).slice(0, 200)}`,
      );
  }
  for (const id of m.edges.keys())
    if (!docEdges.has(id)) add(`acknowledged edge ${JSON.stringify(id)} is missing`);
  const docPatterns = Object.keys(doc.patterns);
  for (const id of docPatterns) {
    if (!m.patterns.has(id)) add(`pattern ${JSON.stringify(id)} is served but was never acknowledged`);
    else if (canonical(m.patterns.get(id)) !== canonical(doc.patterns[id]))
      add(`pattern ${JSON.stringify(id)} differs: ${canonical(doc.patterns[id]).slice(0, 200)}`);
  }
  const servedPatterns = new Set(docPatterns);
  for (const id of m.patterns.keys())
    if (!servedPatterns.has(id)) add(`acknowledged pattern ${JSON.stringify(id)} is missing`);
  return out;
}

/**
 * Applies batch ops the way the server does (ids of unnamed edges resolved against the graph
 * before the batch, then every op in order, all or nothing). Returns the error, or null.
 */
export function simulateBatch(m: Model, ops: unknown): string | null {
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > 10_000) return "ops is not 1-10,000 ops";
  const before = new Set(m.edges.keys());
  const used = new Set<string>();
  const edgeIds: Array<string | undefined> = ops.map((op: unknown) => {
    if (!isObject(op) || op.op !== "add_edge") return undefined;
    const id =
      typeof op.id === "string"
        ? op.id
        : derivedEdgeId(String(op.from), String(op.to), String(op.type), (c) => used.has(c) || before.has(c));
    used.add(id);
    return id;
  });
  const next = m.clone();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as JsonObject;
    const id = op.id as string;
    switch (op.op) {
      case "put_node":
        next.nodes.set(id, { type: op.type as string, data: (op.data as JsonObject | undefined) ?? {} });
        break;
      case "patch_node": {
        const node = next.nodes.get(id);
        if (!node) return `op ${i}: patch of a missing node`;
        next.nodes.set(id, { type: node.type, data: mergePatch(node.data, op.data as JsonObject) });
        break;
      }
      case "delete_node":
        if (!next.nodes.has(id)) return `op ${i}: delete of a missing node`;
        next.deleteNode(id);
        break;
      case "add_edge": {
        const edgeId = edgeIds[i]!;
        if (next.edges.has(edgeId)) return `op ${i}: duplicate edge id`;
        const from = op.from as string;
        const to = op.to as string;
        if (!next.nodes.has(from) || !next.nodes.has(to)) return `op ${i}: unknown node`;
        next.edges.set(edgeId, {
          from,
          to,
          type: op.type as string,
          strength: (op.strength as number | undefined) ?? 1,
          metadata: op.metadata,
        });
        break;
      }
      case "delete_edge":
        if (!next.edges.delete(id)) return `op ${i}: delete of a missing edge`;
        break;
      case "put_pattern":
        next.patterns.set(id, op.pattern);
        break;
      case "delete_pattern":
        if (!next.patterns.delete(id)) return `op ${i}: delete of a missing pattern`;
        break;
      default:
        return `op ${i}: unknown op`;
    }
  }
  m.nodes = next.nodes;
  m.edges = next.edges;
  m.patterns = next.patterns;
  m.changed();
  return null;
}

// ================================================================================== state

export interface SessionModel {
  messages: Array<{ role: string; content: string }>;
}

/** Everything the request builders may look at (the live model during write rounds). */
export interface Ctx {
  m: Model;
  seq: number;
  sessions: Map<string, SessionModel>;
  /** Backups and versions this test made, with the model they hold (oldest first). */
  backups: Map<string, Model>;
  versions: Map<string, Model>;
}

export type Build<T> = (ctx: Ctx) => T;

export const pick = <T>(list: readonly T[], r: number): T | undefined =>
  list.length === 0 ? undefined : list[Math.floor(r * list.length) % list.length];
