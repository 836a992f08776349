import type { GraphNode, Pattern } from "./types.ts";

export type ConditionOp = ">" | ">=" | "<" | "<=" | "==" | "!=";

export interface ParsedCondition {
  nodeId: string;
  /** Property path from the node, e.g. `["data", "value"]`. */
  path: string[];
  op: ConditionOp;
  threshold: number;
}

// <NODE_ID>[.<data path>] <op> <number>[%]  (SPEC section 4)
const CONDITION =
  /^\s*([^\s.<>=!]+)((?:\.[^\s.<>=!]+)*)\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*%?\s*$/;

/** Parses one trigger condition; `null` when it does not follow the grammar. */
export function parseCondition(expr: string): ParsedCondition | null {
  const match = CONDITION.exec(expr);
  if (!match) return null;
  const [, nodeId, rawPath, op, number] = match;
  const path = rawPath ? rawPath.slice(1).split(".") : ["data", "value"];
  return { nodeId: nodeId!, path, op: op as ConditionOp, threshold: Number(number) };
}

/**
 * Resolves a condition path on a node. The path is read from the node itself (`CPI.data.yoy`);
 * when the node has no such top-level field it is read from `data`, so `CPI.yoy` works too.
 */
export function resolvePath(node: GraphNode, path: readonly string[]): unknown {
  const walk = (start: unknown): unknown => {
    let current = start;
    for (const key of path) {
      if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
    return current;
  };
  const direct = path[0] !== undefined && Object.hasOwn(node, path[0]) ? walk(node) : undefined;
  return direct !== undefined ? direct : walk(node.data);
}

function toNumber(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim().replace(/%$/, ""));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function compare(value: number, op: ConditionOp, threshold: number): boolean {
  switch (op) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}

export interface ConditionResult {
  expr: string;
  /** The number the condition was tested against, `null` when missing or not numeric. */
  value: number | null;
  /** `null` when the condition cannot be evaluated (bad grammar, missing node or value). */
  result: boolean | null;
}

export interface PatternEvaluation {
  id: string;
  type: string | null;
  triggered: boolean;
  conditions: ConditionResult[];
}

export function evaluateCondition(
  expr: string,
  getNode: (id: string) => GraphNode | undefined,
): ConditionResult {
  const parsed = parseCondition(expr);
  if (!parsed) return { expr, value: null, result: null };
  const node = getNode(parsed.nodeId);
  const value = node ? toNumber(resolvePath(node, parsed.path)) : null;
  return { expr, value, result: value === null ? null : compare(value, parsed.op, parsed.threshold) };
}

/** A pattern is triggered when it has conditions and every one of them holds. */
export function evaluatePattern(
  id: string,
  pattern: Pattern,
  getNode: (id: string) => GraphNode | undefined,
): PatternEvaluation {
  const conditions = (pattern.trigger_conditions ?? []).map((expr) => evaluateCondition(expr, getNode));
  return {
    id,
    type: typeof pattern.type === "string" ? pattern.type : null,
    triggered: conditions.length > 0 && conditions.every((c) => c.result === true),
    conditions,
  };
}

/** Node ids a pattern names: in its conditions, `nodes`, `from`, `to` or `via`. */
export function patternNodeIds(pattern: Pattern): Set<string> {
  const ids = new Set<string>();
  for (const expr of pattern.trigger_conditions ?? []) {
    const parsed = parseCondition(expr);
    if (parsed) ids.add(parsed.nodeId);
  }
  for (const id of pattern.nodes ?? []) ids.add(id);
  for (const id of [pattern.from, pattern.to, pattern.via]) if (typeof id === "string") ids.add(id);
  return ids;
}
