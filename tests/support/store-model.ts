/**
 * The reference model and the hostile-JSON generators of the model-based `GraphStore` test
 * (tests/faults/store-model.property.test.ts).
 *
 * The model is deliberately naive and written from SPEC section 4 and the store's documented
 * semantics rather than from its code: plain `Map`s of nodes, edges and patterns, a `seq` that
 * counts applied changes, RFC 7396 merge patch, and its own validity predicate for values
 * (finite numbers, at most `MAX_DEPTH` nested containers). It predicts, for every call, either
 * the new state or the error code the store must refuse it with. Two documented details are
 * taken as they are: an edge without an id gets core's `deterministicEdgeId` (the naming scheme
 * of SPEC section 4), and a batch resolves every op against the graph before the batch (a
 * put keeps the `created_at` the node had then; `resolveBatch`).
 */
import type { GraphEdge, GraphNode, JsonObject, KnowledgeGraph, Pattern } from "@dawsos/core";
import { deterministicEdgeId } from "@dawsos/core/format";
import { scanJournal } from "@dawsos/core/journal";
import { nodeSha256 } from "@dawsos/storage-fs";
import fc from "fast-check";
import { type CrashImage, PowerLossFs } from "./power-loss-fs.ts";

/** SPEC section 4: `data`, `metadata` and pattern values nest at most 64 levels (`{}` is 1). */
export const MAX_DEPTH = 64;
const MAX_ID = 256;

// ------------------------------------------------------------------ plain JSON helpers

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** An object whose keys are all own data properties (`__proto__` included), from entries. */
export function objectOf(entries: Iterable<readonly [string, unknown]>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A deep copy that keeps own `__proto__` keys, `-0` and lone surrogates as they are. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  if (isObject(value)) return objectOf(Object.keys(value).map((k) => [k, cloneJson(value[k])])) as T;
  return value;
}

/**
 * A value is storable when it is plain JSON with finite numbers, nested at most `MAX_DEPTH`
 * containers deep (the value itself counts when it is a container).
 */
export function isStorable(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object") return false;
  if (depth + 1 > MAX_DEPTH) return false;
  const children = Array.isArray(value) ? value : Object.keys(value).map((k) => (value as JsonObject)[k]);
  return children.every((child) => isStorable(child, depth + 1));
}

/**
 * A canonical text of a JSON value, for comparing what the store holds with the model: object
 * keys sorted by code unit, leaves as `JSON.stringify` writes them (`-0` is `0`, lone
 * surrogates escaped). Anything that is not plain JSON is spelled out so it cannot compare
 * equal to a JSON value (a prototype-polluted object, `undefined`, a non-finite number).
 */
export function canonical(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : `<non-finite ${value}>`;
    case "object": {
      const proto = Object.getPrototypeOf(value);
      const tag = proto === Object.prototype || proto === null ? "" : "<non-plain object>";
      const obj = value as JsonObject;
      const keys = Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `${tag}{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(",")}}`;
    }
    default:
      return `<${typeof value}>`;
  }
}

// ------------------------------------------------------------------ the model

export interface ModelGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly edges: ReadonlyMap<string, GraphEdge>;
  readonly patterns: ReadonlyMap<string, Pattern>;
  readonly seq: number;
}

/** One operation, in the shape of a batch op (`POST /api/batch`). */
export type Op =
  | { op: "put_node"; id: string; type: string; data: JsonObject }
  | { op: "patch_node"; id: string; data: JsonObject }
  | { op: "delete_node"; id: string }
  | {
      op: "add_edge";
      from: string;
      to: string;
      type: string;
      id?: string;
      strength?: number;
      metadata?: JsonObject;
    }
  /** `pick`: generated ops name an existing edge by position (bound by `bindCall` before use). */
  | { op: "delete_edge"; id: string; pick?: number }
  | { op: "put_pattern"; id: string; pattern: Pattern }
  | { op: "delete_pattern"; id: string };

/** A single call (`putNode`, `addEdge`…) or one `applyBatch` of several ops. */
export type Call = { kind: "single"; op: Op } | { kind: "batch"; ops: Op[] };

export type Prediction =
  | { ok: true; graph: ModelGraph; applied: number; created?: boolean; edgeId?: string }
  /** `index` is set for a batch: the store reports `validation_error` naming the op and its code. */
  | { ok: false; code: string; index?: number };

const validId = (id: unknown): boolean => typeof id === "string" && id.length >= 1 && id.length <= MAX_ID;
const validType = validId; // types are strings of 1-256 characters too
const validUnit = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;
const isStringArray = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === "string");

/** A fully resolved change: what the op means at time `at` against the graph it resolves on. */
type Resolved =
  | { op: "put_node"; node: GraphNode }
  | { op: "patch_node"; id: string; data: JsonObject }
  | { op: "delete_node" | "delete_edge" | "delete_pattern"; id: string }
  | { op: "add_edge"; edge: GraphEdge }
  | { op: "put_pattern"; id: string; pattern: Pattern };

/**
 * Resolves an op against `base` (the graph before the call): a put keeps the created_at of the
 * node as it was *before the call*, an edge without an id gets the deterministic id not taken
 * in `base` nor earlier in the same call. Returns an error code for an unusable id.
 */
function resolve(base: ModelGraph, op: Op, at: string, usedEdgeIds: Set<string>): Resolved | string {
  switch (op.op) {
    case "put_node": {
      if (!validId(op.id)) return "invalid_id";
      const previous = base.nodes.get(op.id);
      const node: GraphNode = {
        ...(previous ?? {}),
        id: op.id,
        type: op.type,
        data: op.data,
        created_at: previous?.created_at ?? at,
        updated_at: at,
      };
      return { op: "put_node", node };
    }
    case "add_edge": {
      const id =
        op.id ?? deterministicEdgeId(op.from, op.to, op.type, (c) => usedEdgeIds.has(c) || base.edges.has(c));
      usedEdgeIds.add(id);
      const edge: GraphEdge = {
        id,
        from: op.from,
        to: op.to,
        type: op.type,
        strength: op.strength ?? 1,
        created_at: at,
      };
      if (op.metadata !== undefined) edge.metadata = op.metadata;
      return { op: "add_edge", edge };
    }
    case "patch_node":
      return { op: "patch_node", id: op.id, data: op.data };
    case "put_pattern":
      return { op: "put_pattern", id: op.id, pattern: op.pattern };
    default:
      return { op: op.op, id: op.id };
  }
}

const NODE_FIELDS = new Set(["id", "type", "created_at", "updated_at"]);
const EDGE_FIELDS = new Set(["id", "from", "to", "type", "strength", "created_at"]);

/** Why a resolved change is refused without looking at the graph (ids, shapes, values), or `null`. */
function refusal(change: Resolved): string | null {
  const valuesOk = (record: JsonObject, skip: Set<string>) =>
    Object.keys(record).every((k) => skip.has(k) || isStorable(record[k]));
  switch (change.op) {
    case "put_node": {
      const n = change.node;
      if (!validId(n.id)) return "invalid_id";
      if (!validType(n.type) || !isObject(n.data) || !valuesOk(n, NODE_FIELDS)) return "validation_error";
      return null;
    }
    case "patch_node":
      if (!validId(change.id)) return "invalid_id";
      return isObject(change.data) && isStorable(change.data) ? null : "validation_error";
    case "add_edge": {
      const e = change.edge;
      if (!validId(e.id) || !validId(e.from) || !validId(e.to)) return "invalid_id";
      if (!validType(e.type) || !validUnit(e.strength) || !valuesOk(e, EDGE_FIELDS))
        return "validation_error";
      return null;
    }
    case "put_pattern": {
      if (!validId(change.id)) return "invalid_id";
      const p = change.pattern;
      if (!isObject(p)) return "validation_error";
      if (p.type !== undefined && !validType(p.type)) return "validation_error";
      if (p.confidence !== undefined && !validUnit(p.confidence)) return "validation_error";
      if (p.trigger_conditions !== undefined && !isStringArray(p.trigger_conditions))
        return "validation_error";
      if (p.nodes !== undefined && !isStringArray(p.nodes)) return "validation_error";
      return valuesOk(p, new Set()) ? null : "validation_error";
    }
    default:
      return validId(change.id) ? null : "invalid_id";
  }
}

/** RFC 7396 JSON merge patch (`null` removes, objects merge, anything else replaces). */
export function mergePatchModel(target: unknown, patch: JsonObject): JsonObject {
  const out = new Map<string, unknown>(isObject(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) out.delete(key);
    else if (isObject(value)) out.set(key, mergePatchModel(out.get(key), value));
    else out.set(key, value);
  }
  return objectOf(out);
}

interface Working {
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
  patterns: Map<string, Pattern>;
}

/** Applies a valid change to `w` in place; an error code when the graph does not allow it. */
function applyResolved(w: Working, change: Resolved, at: string): string | null {
  switch (change.op) {
    case "put_node":
      w.nodes.set(change.node.id, cloneJson(change.node));
      return null;
    case "patch_node": {
      const previous = w.nodes.get(change.id);
      if (!previous) return "not_found";
      w.nodes.set(change.id, {
        ...previous,
        data: mergePatchModel(previous.data, cloneJson(change.data)),
        updated_at: at,
      });
      return null;
    }
    case "delete_node":
      if (!w.nodes.delete(change.id)) return "not_found";
      for (const [id, e] of [...w.edges]) if (e.from === change.id || e.to === change.id) w.edges.delete(id);
      return null;
    case "add_edge": {
      const e = change.edge;
      if (w.edges.has(e.id)) return "conflict";
      if (!w.nodes.has(e.from) || !w.nodes.has(e.to)) return "unknown_node";
      w.edges.set(e.id, cloneJson(e));
      return null;
    }
    case "delete_edge":
      return w.edges.delete(change.id) ? null : "not_found";
    case "put_pattern":
      w.patterns.set(change.id, cloneJson(change.pattern));
      return null;
    case "delete_pattern":
      return w.patterns.delete(change.id) ? null : "not_found";
  }
}

/**
 * What `call` does to `graph` at time `at`. A single call refuses with its own error code; a
 * batch is resolved whole, then validated whole, then applied in order (SPEC: all or nothing),
 * and names the first failing op.
 */
export function predict(graph: ModelGraph, call: Call, at: string): Prediction {
  const ops = call.kind === "single" ? [call.op] : call.ops;
  const fail = (code: string, index: number): Prediction =>
    call.kind === "single" ? { ok: false, code } : { ok: false, code, index };
  const used = new Set<string>();
  const resolved: Resolved[] = [];
  for (let i = 0; i < ops.length; i++) {
    const r = resolve(graph, ops[i]!, at, used);
    if (typeof r === "string") return fail(r, i);
    resolved.push(r);
  }
  for (let i = 0; i < resolved.length; i++) {
    const problem = refusal(resolved[i]!);
    if (problem) return fail(problem, i);
  }
  const w: Working = {
    nodes: new Map(graph.nodes),
    edges: new Map(graph.edges),
    patterns: new Map(graph.patterns),
  };
  for (let i = 0; i < resolved.length; i++) {
    const problem = applyResolved(w, resolved[i]!, at);
    if (problem) return fail(problem, i);
  }
  const first = ops[0]!;
  const prediction: Prediction = {
    ok: true,
    graph: { ...w, seq: graph.seq + ops.length },
    applied: ops.length,
  };
  if (call.kind === "single") {
    if (first.op === "put_node") prediction.created = !graph.nodes.has(first.id);
    if (first.op === "put_pattern") prediction.created = !graph.patterns.has(first.id);
    const r = resolved[0]!;
    if (r.op === "add_edge") prediction.edgeId = r.edge.id;
  }
  return prediction;
}

/** The graph after a restore: the saved content, with a `seq` past the current one (ETags never repeat). */
export function restored(saved: ModelGraph, current: ModelGraph): ModelGraph {
  return { ...saved, seq: Math.max(saved.seq, current.seq + 1) };
}

// ------------------------------------------------------------------ comparing store and model

/**
 * Whether two values are the same JSON: what `canonical` compares, without building strings
 * (values may hold strings over a MiB). `-0` equals `0`, as in JSON; an object that is not
 * plain never equals anything.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return a === null || typeof a !== "object" || isPlain(a);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlain(a) || !isPlain(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => jsonEqual((a as JsonObject)[k], (b as JsonObject)[k]));
}

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return value.every((x) => x === null || typeof x !== "object" || isPlain(x));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.keys(value).every((k) => {
    const x = (value as JsonObject)[k];
    return x === null || typeof x !== "object" || isPlain(x);
  });
}

/** Every difference between the store's graph and the model, as readable lines (empty: equal). */
export function differences(actual: KnowledgeGraph, expected: ModelGraph): string[] {
  const out: string[] = [];
  if (actual.seq !== expected.seq) out.push(`seq is ${actual.seq}, the model says ${expected.seq}`);
  const short = (v: unknown) => {
    const s = canonical(v);
    return s.length > 300 ? `${s.slice(0, 300)}…(${s.length})` : s;
  };
  const compare = (what: string, got: Iterable<[string, unknown]>, want: ReadonlyMap<string, unknown>) => {
    const g = new Map(got);
    for (const [k, v] of want) {
      if (!g.has(k)) out.push(`${what} ${JSON.stringify(k)} is missing (model: ${short(v)})`);
      else if (!jsonEqual(g.get(k), v))
        out.push(`${what} ${JSON.stringify(k)} is ${short(g.get(k))}, the model says ${short(v)}`);
    }
    for (const [k, v] of g)
      if (!want.has(k)) out.push(`${what} ${JSON.stringify(k)} should not exist (${short(v)})`);
  };
  compare(
    "node",
    [...actual.nodes()].map((n): [string, unknown] => [n.id, n]),
    expected.nodes,
  );
  compare(
    "edge",
    [...actual.edges()].map((e): [string, unknown] => [e.id, e]),
    expected.edges,
  );
  compare("pattern", actual.patterns(), expected.patterns);
  // The indexes agree with the records (adjacency, counts).
  for (const id of expected.nodes.keys()) {
    const out1 = actual
      .outEdges(id)
      .map((e) => e.id)
      .sort();
    const in1 = actual
      .inEdges(id)
      .map((e) => e.id)
      .sort();
    const outM = [...expected.edges.values()]
      .filter((e) => e.from === id)
      .map((e) => e.id)
      .sort();
    const inM = [...expected.edges.values()]
      .filter((e) => e.to === id)
      .map((e) => e.id)
      .sort();
    if (canonical(out1) !== canonical(outM))
      out.push(`outEdges(${JSON.stringify(id)}) is ${canonical(out1)}`);
    if (canonical(in1) !== canonical(inM)) out.push(`inEdges(${JSON.stringify(id)}) is ${canonical(in1)}`);
  }
  const stats = actual.stats();
  if (stats.total_nodes !== expected.nodes.size || stats.total_edges !== expected.edges.size)
    out.push(`stats count ${stats.total_nodes} nodes / ${stats.total_edges} edges`);
  return out;
}

// ------------------------------------------------------------------ disks and ids

/**
 * A fresh simulated disk holding `image` under `root`, all of it durable: the machine after the
 * power came back. The writer lock is left out (its holder died with the power).
 */
export async function diskFromImage(image: CrashImage, root: string): Promise<PowerLossFs> {
  const fs = new PowerLossFs();
  await fs.mkdir(root, { recursive: true });
  const dirs = new Set<string>(["/"]);
  for (let at = root; at !== "/"; at = at.slice(0, at.lastIndexOf("/")) || "/") dirs.add(at);
  for (const [path, bytes] of image) {
    if (path === ".lock" || path === ".lock.claim") continue;
    const full = `${root}/${path}`;
    if (bytes === null) {
      await fs.mkdir(full, { recursive: true });
      dirs.add(full);
      continue;
    }
    const handle = await fs.open(full, "wx");
    await handle.write(bytes);
    await handle.sync();
    await handle.close();
  }
  for (const dir of dirs) await fs.syncDir(dir);
  return fs;
}

/**
 * The highest `seq` a power loss now would keep: `graph.json`'s, or the last journal record's
 * when the journal continues it. A reader must never see a graph newer than this.
 */
export function durableSeq(fs: PowerLossFs, root: string): number {
  const image = fs.crashImage(root, "lost");
  const graph = image.get("graph.json");
  let snapshotSeq = 0;
  if (graph) {
    try {
      snapshotSeq = (JSON.parse(new TextDecoder().decode(graph)) as { seq: number }).seq;
    } catch {
      return -1; // a damaged snapshot: nothing is durably readable (only a broken disk does this)
    }
  }
  const journal = image.get("graph.journal");
  const records = journal ? scanJournal(journal, nodeSha256).records : [];
  let seq = snapshotSeq;
  for (const r of records) if (r.seq - r.count === seq) seq = r.seq;
  return seq;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** SPEC section 3: `YYYYmmdd_HHMMSS` (UTC) of a time. */
export function secondId(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

function idParts(id: string): [string, number] {
  const m = /^(\d{8}_\d{6})(?:-(\d+))?$/.exec(id);
  if (!m) throw new Error(`not a timestamp id: ${id}`);
  return [m[1]!, m[2] === undefined ? 1 : Number(m[2])];
}

/**
 * The id a backup or version made at `ms` must get (SPEC sections 3 and 6): the bare second
 * when it is newer than every id in `taken`, else the newest one's second with the next `-N`,
 * so ids are unique and sort in creation order.
 */
export function expectedId(ms: number, taken: Iterable<string>): string {
  const base = secondId(ms);
  let newest: [string, number] | null = null;
  for (const id of taken) {
    const p = idParts(id);
    if (!newest || p[0] > newest[0] || (p[0] === newest[0] && p[1] > newest[1])) newest = p;
  }
  if (!newest || base > newest[0]) return base;
  return `${newest[0]}-${newest[1] + 1}`;
}

/** Newest first, `-N` numerically. */
export function sortIdsNewestFirst(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => {
    const [ba, na] = idParts(a);
    const [bb, nb] = idParts(b);
    return ba === bb ? nb - na : ba < bb ? 1 : -1;
  });
}

// ------------------------------------------------------------------ hostile JSON

/** Numbers that must be refused anywhere in a value. */
export const NON_FINITE = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
/** Numbers at the edges of what JSON can carry: all must round-trip (`-0` as `0`). */
export const EXTREME_NUMBERS = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  5e-324,
  -5e-324,
  -0,
  0,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  2 ** 53 + 2,
  1e21,
  1e-7,
  0.1 + 0.2,
];
/** Strings that break naive encoders: lone surrogates, NUL, line separators, quotes, astral characters. */
export const ODD_STRINGS = [
  "",
  "\ud800",
  "\udfff",
  "a\ud800b",
  "\udc00\ud800",
  "\ud83d\ude00",
  "\u0000",
  "nul\u0000inside",
  "\u2028\u2029",
  '"\\/',
  "\r\n",
  "é",
  "__proto__",
  '{"seq":1}',
];
/** Keys that misbehave on plain objects. */
export const ODD_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  "a",
  "b",
  "\ud800",
  "\u0000",
  "0",
  "sha256",
];

const charCode = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Long strings (a few KiB; the test adds one over a MiB in some runs). */
const longString = fc.constantFrom(2000, 5000).map((n) => "\u00e9x".repeat(n));

export const stringLeaf = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 4, arbitrary: fc.string({ unit: charCode, maxLength: 6 }) },
  { weight: 1, arbitrary: longString },
);

export const numberLeaf = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...EXTREME_NUMBERS) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -9, max: 9 }) },
);

/** A JSON leaf; `bad` mixes in the non-finite numbers the store must refuse. */
const leaf = (bad: number) =>
  fc.oneof(
    { weight: 8, arbitrary: stringLeaf },
    { weight: 8, arbitrary: numberLeaf },
    { weight: 2, arbitrary: fc.boolean() },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: bad, arbitrary: fc.constantFrom(...NON_FINITE) },
  );

/** A container chain exactly `depth` levels deep (the value counts), objects or arrays at random. */
export function chain(depth: number, kinds: number, bottom: unknown, key = "k"): unknown {
  let value = bottom;
  for (let level = 0; level < depth; level++) {
    value = (kinds >>> (level % 31)) & 1 ? [value] : objectOf([[key, value]]);
  }
  return value;
}

/** Depths around the limit (64): most accepted, 65+ refused. */
export const DEPTHS = [1, 2, 3, 32, 63, 64, 64, 65, 66, 100];

/** A value nested `depth` containers deep, with an ordinary or non-finite leaf at the bottom. */
export const deepValue = fc
  .record({
    depth: fc.constantFrom(...DEPTHS),
    kinds: fc.nat(),
    bottom: leaf(1),
    key: fc.constantFrom(...ODD_KEYS),
  })
  .map(({ depth, kinds, bottom, key }) => chain(depth, kinds, bottom, key));

/** Small random JSON values (2-3 levels), with hostile keys, leaves, and sometimes a deep chain. */
export const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 6, arbitrary: leaf(1) },
    { weight: 2, arbitrary: fc.array(tie("value"), { maxLength: 3 }) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...ODD_KEYS), tie("value")), { maxLength: 3 })
        .map((entries) => objectOf(entries)),
    },
  ),
}));

/** An object value for `data`, patches and edge `metadata`: flat-ish, or wrapping a deep chain. */
export const jsonObject: fc.Arbitrary<JsonObject> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...ODD_KEYS), jsonValue), { maxLength: 4 })
      .map((entries) => objectOf(entries)),
  },
  {
    weight: 2,
    // The object itself is one level: `{key: chain(d - 1)}` is d deep.
    arbitrary: fc
      .record({
        depth: fc.constantFrom(...DEPTHS),
        kinds: fc.nat(),
        bottom: leaf(1),
        key: fc.constantFrom(...ODD_KEYS),
      })
      .map(({ depth, kinds, bottom, key }) => objectOf([[key, chain(depth - 1, kinds, bottom)]])),
  },
);

// ------------------------------------------------------------------ ids, ops

/** Node ids: a small alphabet so ops meet existing nodes, with odd characters, 256 long, and invalid ones. */
export const NODE_IDS = [
  "A",
  "B",
  "n1",
  "__proto__",
  "constructor",
  "prototype",
  "\ud800",
  "a/../b",
  "\u0000",
  "😀 é",
];
const LONG_ID = "x".repeat(MAX_ID);
const TOO_LONG_ID = "y".repeat(MAX_ID + 1);
const nodeId = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...NODE_IDS) },
  { weight: 1, arbitrary: fc.constantFrom(LONG_ID, "", TOO_LONG_ID) },
);
const EDGE_IDS = ["e0", "e1", "__proto__", "constructor", "\ud800\u0000"];
const edgeId = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...EDGE_IDS) },
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("", TOO_LONG_ID) },
);
const PATTERN_IDS = ["p0", "p1", "__proto__", "constructor", "prototype"];
const patternId = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...PATTERN_IDS) },
  { weight: 1, arbitrary: fc.constantFrom("", TOO_LONG_ID) },
);
const TYPES = ["t", "seed", "__proto__", "\ud800", "z".repeat(MAX_ID)];
const type = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...TYPES) },
  { weight: 1, arbitrary: fc.constantFrom("", "z".repeat(MAX_ID + 1)) },
);
const validUnitValue = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 0.5, -0, 5e-324, 1 - 2 ** -53) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
);
const unit = fc.oneof(
  { weight: 12, arbitrary: validUnitValue },
  { weight: 1, arbitrary: fc.constantFrom(1 + 2 ** -52, -5e-324, -1, 2, ...NON_FINITE) },
);

/** A pattern: the documented fields (sometimes ill-typed) plus hostile extra members. */
export const pattern: fc.Arbitrary<Pattern> = fc
  .record(
    {
      type,
      description: stringLeaf,
      trigger_conditions: fc.oneof(
        {
          weight: 8,
          arbitrary: fc.array(fc.constantFrom("A > 1", "B.data.v <= 4%", "\ud800 == 0"), { maxLength: 2 }),
        },
        { weight: 1, arbitrary: fc.constant([1] as unknown as string[]) },
      ),
      confidence: unit,
      nodes: fc.array(fc.constantFrom(...NODE_IDS), { maxLength: 2 }),
      extra: fc.array(fc.tuple(fc.constantFrom(...ODD_KEYS), fc.oneof(jsonValue, deepValue)), {
        maxLength: 2,
      }),
    },
    { requiredKeys: [] },
  )
  .map(({ extra, ...fields }) => objectOf([...Object.entries(fields), ...(extra ?? [])]) as Pattern);

export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ id: nodeId, type, data: jsonObject })
      .map(({ id, type, data }): Op => ({ op: "put_node", id, type, data })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ id: nodeId, data: jsonObject })
      .map(({ id, data }): Op => ({ op: "patch_node", id, data })),
  },
  { weight: 2, arbitrary: nodeId.map((id): Op => ({ op: "delete_node", id })) },
  {
    weight: 5,
    arbitrary: fc
      .record(
        { from: nodeId, to: nodeId, type, id: edgeId, strength: unit, metadata: jsonObject },
        { requiredKeys: ["from", "to", "type"] },
      )
      .map((e): Op => {
        const out: Op = { op: "add_edge", from: e.from, to: e.to, type: e.type };
        if (e.id !== undefined) out.id = e.id;
        if (e.strength !== undefined) out.strength = e.strength;
        if (e.metadata !== undefined) out.metadata = e.metadata;
        return out;
      }),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      { weight: 2, arbitrary: fc.nat().map((pick): Op => ({ op: "delete_edge", id: "e0", pick })) },
      { weight: 1, arbitrary: edgeId.map((id): Op => ({ op: "delete_edge", id: id ?? "e_A_B_t" })) },
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ id: patternId, pattern })
      .map(({ id, pattern }): Op => ({ op: "put_pattern", id, pattern })),
  },
  { weight: 1, arbitrary: patternId.map((id): Op => ({ op: "delete_pattern", id })) },
);

/** Ids that exist most of the time (the seed's, and those puts pick most). */
const COMMON_IDS = ["A", "B", "n1", "__proto__", "\ud800"];
const commonId = fc.constantFrom(...COMMON_IDS);

/** Objects the store must accept (hostile keys, strings and numbers, up to 64 deep). */
const storableObject = jsonObject.filter((v) => isStorable(v));
const storablePattern = pattern.filter((p) => refusal({ op: "put_pattern", id: "p0", pattern: p }) === null);

/** Ops the store accepts whenever the nodes they name exist. */
const cleanOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        id: fc.oneof(commonId, fc.constantFrom(...NODE_IDS)),
        type: fc.constantFrom(...TYPES),
        data: storableObject,
      })
      .map(({ id, type, data }): Op => ({ op: "put_node", id, type, data })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ id: commonId, data: storableObject })
      .map(({ id, data }): Op => ({ op: "patch_node", id, data })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ from: commonId, to: commonId, type: fc.constantFrom(...TYPES), strength: validUnitValue })
      .map((e): Op => ({ op: "add_edge", ...e })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ id: patternId, pattern: storablePattern })
      .map(({ id, pattern }): Op => ({ op: "put_pattern", id, pattern })),
  },
);

/**
 * A batch that makes sense on its own: puts 1-3 nodes, then patches them, links them, puts
 * patterns or deletes an existing edge; in about half of them one random (often failing) op
 * is slipped in somewhere.
 */
const batch: fc.Arbitrary<Op[]> = fc
  .record({
    nodes: fc.uniqueArray(
      fc.record({ id: fc.constantFrom(...NODE_IDS), type: fc.constantFrom(...TYPES), data: storableObject }),
      { minLength: 1, maxLength: 3, selector: (n) => n.id },
    ),
    steps: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant("patch" as const), i: fc.nat(), data: storableObject }),
        fc.record({
          kind: fc.constant("edge" as const),
          i: fc.nat(),
          j: fc.nat(),
          type: fc.constantFrom(...TYPES),
          strength: validUnitValue,
        }),
        fc.record({
          kind: fc.constant("pattern" as const),
          id: fc.constantFrom(...PATTERN_IDS),
          pattern: storablePattern,
        }),
        fc.record({ kind: fc.constant("delete_edge" as const), pick: fc.nat() }),
      ),
      { maxLength: 3 },
    ),
    intruder: fc.option(fc.tuple(op, fc.nat()), { freq: 2 }),
  })
  .map(({ nodes, steps, intruder }) => {
    const ids = nodes.map((n) => n.id);
    const ops: Op[] = nodes.map((n): Op => ({ op: "put_node", ...n }));
    for (const s of steps) {
      if (s.kind === "patch") ops.push({ op: "patch_node", id: ids[s.i % ids.length]!, data: s.data });
      else if (s.kind === "edge")
        ops.push({
          op: "add_edge",
          from: ids[s.i % ids.length]!,
          to: ids[s.j % ids.length]!,
          type: s.type,
          strength: s.strength,
        });
      else if (s.kind === "pattern") ops.push({ op: "put_pattern", id: s.id, pattern: s.pattern });
      else ops.push({ op: "delete_edge", id: "e0", pick: s.pick });
    }
    if (intruder) ops.splice(intruder[1] % (ops.length + 1), 0, intruder[0]);
    return ops;
  });

/** Single calls (random ops, and ops that should succeed) and batches. */
export const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 3, arbitrary: op.map((o): Call => ({ kind: "single", op: o })) },
  { weight: 3, arbitrary: cleanOp.map((o): Call => ({ kind: "single", op: o })) },
  { weight: 2, arbitrary: batch.map((ops): Call => ({ kind: "batch", ops })) },
);

/**
 * Binds generated ops to the state they run against: a `delete_edge` with `pick` names the
 * pick-th existing edge (ids made by the store are long; guessing them would rarely hit).
 */
export function bindCall(c: Call, graph: ModelGraph): Call {
  const edgeIds = [...graph.edges.keys()].sort();
  const bind = (o: Op): Op => {
    if (o.op !== "delete_edge" || o.pick === undefined) return o;
    return { op: "delete_edge", id: edgeIds.length > 0 ? edgeIds[o.pick % edgeIds.length]! : o.id };
  };
  return c.kind === "single" ? { kind: "single", op: bind(c.op) } : { kind: "batch", ops: c.ops.map(bind) };
}

/** Containers nested in `value` (a leaf is 0, `{}` is 1). */
export function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0);
}

/** Whether `value` holds a number JSON cannot carry. */
export function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (typeof value !== "object" || value === null) return false;
  return (Array.isArray(value) ? value : Object.values(value)).some(hasNonFinite);
}

/** A short description for command names (fast-check prints them when a run fails). */
export function describeCall(c: Call): string {
  const one = (o: Op) => {
    const id = "id" in o && o.id !== undefined ? o.id : "";
    const text = JSON.stringify(
      o.op === "add_edge" ? `${o.from}->${o.to}${o.id === undefined ? "" : `#${id}`}` : id,
    );
    return `${o.op}(${text.length > 40 ? `${text.slice(0, 40)}…` : text})`;
  };
  return c.kind === "single" ? one(c.op) : `batch[${c.ops.map(one).join(", ")}]`;
}
