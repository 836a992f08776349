/**
 * In-memory shapes of the graph (SPEC section 4). Unknown fields are kept on every record
 * (the index signatures) so nothing a user or the original Python system stored is dropped.
 */
export type JsonObject = { [key: string]: unknown };

export interface GraphNode {
  id: string;
  type: string;
  data: JsonObject;
  created_at: string;
  updated_at: string;
  [extra: string]: unknown;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  type: string;
  strength: number;
  created_at: string;
  [extra: string]: unknown;
}

export interface Pattern {
  type?: string;
  description?: string;
  trigger_conditions?: string[];
  confidence?: number;
  nodes?: string[];
  from?: string;
  to?: string;
  via?: string;
  [extra: string]: unknown;
}

export interface GraphStats {
  total_nodes: number;
  total_edges: number;
  total_patterns: number;
  node_types: Record<string, number>;
  edge_types: Record<string, number>;
  avg_connections: number;
}

/** Limits from SPEC section 4. */
export const MAX_ID_LENGTH = 256;
export const MAX_TYPE_LENGTH = 256;

/** A fresh object without a prototype, so keys such as `__proto__` are plain data. */
export function nullProto<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
