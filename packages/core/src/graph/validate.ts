import { InvalidIdError, ValidationError } from "../errors/errors.ts";
import type { Change } from "./changes.ts";
import { assertJsonValue } from "./json-value.ts";
import { isPlainObject } from "./merge-patch.ts";
import { type GraphEdge, type GraphNode, MAX_ID_LENGTH, MAX_TYPE_LENGTH, type Pattern } from "./types.ts";

/** Ids are strings of 1–256 characters (SPEC section 4). `what` names the field in errors. */
export function assertId(id: unknown, what: string): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidIdError(`${what} must be a string of 1-${MAX_ID_LENGTH} characters`, {
      details: { field: what, length: typeof id === "string" ? id.length : undefined },
    });
  }
}

function assertType(type: unknown, what: string): asserts type is string {
  if (typeof type !== "string" || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new ValidationError(`${what} must be a string of 1-${MAX_TYPE_LENGTH} characters`, {
      details: { field: what },
    });
  }
}

export function assertUnitInterval(value: unknown, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ValidationError(`${what} must be a number in [0, 1]`, { details: { field: what, value } });
  }
}

function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string")
    throw new ValidationError(`${what} must be a string`, { details: { field: what } });
}

export function assertNode(node: unknown, what = "node"): asserts node is GraphNode {
  if (!isPlainObject(node))
    throw new ValidationError(`${what} must be an object`, { details: { field: what } });
  assertId(node.id, `${what}.id`);
  assertType(node.type, `${what}.type`);
  if (!isPlainObject(node.data)) {
    throw new ValidationError(`${what}.data must be an object`, { details: { field: `${what}.data` } });
  }
  assertString(node.created_at, `${what}.created_at`);
  assertString(node.updated_at, `${what}.updated_at`);
  assertFieldValues(node, what, NODE_FIELDS);
}

const NODE_FIELDS = new Set(["id", "type", "created_at", "updated_at"]);
const EDGE_FIELDS = new Set(["id", "from", "to", "type", "strength", "created_at"]);

/**
 * Every other member of a record (`data`, `metadata`, unknown fields kept from older files) must
 * be plain JSON: finite numbers, at most `MAX_NESTING_DEPTH` levels (SPEC section 4).
 */
function assertFieldValues(record: Record<string, unknown>, what: string, checked: Set<string>): void {
  for (const key of Object.keys(record)) {
    if (!checked.has(key)) assertJsonValue(record[key], `${what}.${key}`);
  }
}

export function assertEdge(edge: unknown, what = "edge"): asserts edge is GraphEdge {
  if (!isPlainObject(edge))
    throw new ValidationError(`${what} must be an object`, { details: { field: what } });
  assertId(edge.id, `${what}.id`);
  assertId(edge.from, `${what}.from`);
  assertId(edge.to, `${what}.to`);
  assertType(edge.type, `${what}.type`);
  assertUnitInterval(edge.strength, `${what}.strength`);
  assertString(edge.created_at, `${what}.created_at`);
  assertFieldValues(edge, what, EDGE_FIELDS);
}

export function assertPattern(pattern: unknown, what = "pattern"): asserts pattern is Pattern {
  if (!isPlainObject(pattern))
    throw new ValidationError(`${what} must be an object`, { details: { field: what } });
  if (pattern.type !== undefined) assertType(pattern.type, `${what}.type`);
  if (pattern.confidence !== undefined) assertUnitInterval(pattern.confidence, `${what}.confidence`);
  const conditions = pattern.trigger_conditions;
  if (
    conditions !== undefined &&
    !(Array.isArray(conditions) && conditions.every((c) => typeof c === "string"))
  ) {
    throw new ValidationError(`${what}.trigger_conditions must be an array of strings`, {
      details: { field: `${what}.trigger_conditions` },
    });
  }
  const nodes = pattern.nodes;
  if (nodes !== undefined && !(Array.isArray(nodes) && nodes.every((c) => typeof c === "string"))) {
    throw new ValidationError(`${what}.nodes must be an array of strings`, {
      details: { field: `${what}.nodes` },
    });
  }
  assertFieldValues(pattern, what, NO_FIELDS);
}

const NO_FIELDS = new Set<string>();

/**
 * Validates one change record completely — ids, record shapes and the value domain — without
 * looking at the graph. The store runs it before a change is encoded or applied, so a value
 * that could not be written (or read back the same) never reaches memory.
 */
export function assertChange(change: Change, what = "change"): void {
  if (!isPlainObject(change) || typeof change.at !== "string") {
    throw new ValidationError(`${what} must be a change record`, { details: { field: what } });
  }
  switch (change.op) {
    case "put_node":
      assertNode(change.node, "node");
      return;
    case "patch_node":
      assertId(change.id, "node id");
      if (!isPlainObject(change.data)) {
        throw new ValidationError("patch data must be an object", { details: { field: "data" } });
      }
      assertJsonValue(change.data, "data");
      return;
    case "add_edge":
      assertEdge(change.edge, "edge");
      return;
    case "put_pattern":
      assertId(change.id, "pattern id");
      assertPattern(change.pattern, "pattern");
      return;
    case "delete_node":
    case "delete_edge":
    case "delete_pattern":
      assertId(change.id, "id");
      return;
    default:
      throw new ValidationError(`unknown change op ${JSON.stringify((change as { op?: unknown }).op)}`, {
        details: { field: `${what}.op` },
      });
  }
}
