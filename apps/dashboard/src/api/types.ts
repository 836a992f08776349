/** Shapes of the DawsOS HTTP API (SPEC section 5) as the dashboard reads them. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface GraphNode {
  id: string;
  type: string;
  data: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  type: string;
  strength: number;
  created_at: string;
}

export interface Pattern {
  type?: string;
  description?: string;
  trigger_conditions?: string[];
  confidence?: number;
  nodes?: string[];
}

export interface GraphDocument {
  version: number;
  seq: number;
  nodes: Record<string, GraphNode>;
  edges: GraphEdge[];
  patterns: Record<string, Pattern>;
}

export interface Health {
  status: string;
  version: string;
  storage: string;
  graph: { nodes: number; edges: number; patterns: number; seq: number };
}

export interface GraphStats {
  total_nodes: number;
  total_edges: number;
  total_patterns: number;
  node_types: Record<string, number>;
  edge_types: Record<string, number>;
  seq: number;
}

export interface NodePage {
  items: GraphNode[];
  next_cursor: string | null;
}

export interface Influence {
  from: string;
  type: string;
  strength: number;
}

export interface Neighbourhood {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphPath {
  nodes: string[];
  edges: string[];
  strength: number;
}

export interface ConditionResult {
  expr: string;
  value: number | null;
  result: boolean | null;
}

export interface PatternEvaluation {
  id: string;
  type: string | null;
  triggered: boolean;
  conditions: ConditionResult[];
}

export interface BackupFile {
  name: string;
  size: number;
  checksum: string;
}

export interface Backup {
  id: string;
  created: string;
  files: BackupFile[];
}

export interface Version {
  id: string;
  created: string;
  size: number;
  checksum: string | null;
}

export interface IntegrityFile {
  key: string;
  ok: boolean;
  error?: { code: string; message: string };
  note?: string;
}

export interface IntegrityReport {
  ok: boolean;
  files: IntegrityFile[];
  recovery?: { file: string; recoveredFrom: string; error: { code: string; message: string } };
}

export interface Workflow {
  name: string;
  description?: string;
  steps: { agent: string; action: string }[];
}

export interface WorkflowStepRun {
  step?: number;
  agent: string;
  action: string;
  result?: { status?: string; error?: string | { message?: string } } & Record<string, unknown>;
  duration_ms?: number;
}

export interface WorkflowRun {
  id?: string;
  workflow: string;
  timestamp: string;
  status?: string;
  duration_ms?: number;
  steps: WorkflowStepRun[];
}

export interface FredValue {
  series_id: string;
  date: string;
  value: number | null;
  cached: boolean;
  stale: boolean;
  fetched_at: string;
}

export interface Quote {
  symbol: string;
  price: number | null;
  change: number | null;
  change_percent: number | null;
  timestamp: string | number | null;
  cached: boolean;
  stale: boolean;
  fetched_at: string;
}

export interface CacheNamespaceStats {
  hits: number;
  misses: number;
  stale_served: number;
  entries: number;
  inflight_joined: number;
}

export type CacheStats = Record<string, CacheNamespaceStats>;
