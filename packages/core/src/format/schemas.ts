import { z } from "zod";
import { MAX_ID_LENGTH, MAX_TYPE_LENGTH } from "../graph/types.ts";

/**
 * zod schemas for stored documents and for API inputs. Document schemas are "loose": unknown
 * fields pass through, because SPEC section 4 requires them to survive load/save.
 *
 * They are used to *validate*; the loader keeps the caller's parsed objects rather than zod's
 * output copies, so keys such as `__proto__` stay plain data.
 */
export const idSchema = z.string().min(1).max(MAX_ID_LENGTH);
export const typeSchema = z.string().min(1).max(MAX_TYPE_LENGTH);
export const unitIntervalSchema = z.number().min(0).max(1);
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/** A node as stored in our format. */
export const nodeSchema = z.looseObject({
  id: idSchema,
  type: typeSchema,
  data: jsonObjectSchema,
  created_at: z.string(),
  updated_at: z.string(),
});

/** An edge as stored in our format. */
export const edgeSchema = z.looseObject({
  id: idSchema,
  from: idSchema,
  to: idSchema,
  type: typeSchema,
  strength: unitIntervalSchema,
  created_at: z.string(),
});

export const patternSchema = z.looseObject({
  type: typeSchema.optional(),
  description: z.string().optional(),
  trigger_conditions: z.array(z.string().max(1024)).max(256).optional(),
  confidence: unitIntervalSchema.optional(),
  nodes: z.array(idSchema).max(10_000).optional(),
  from: idSchema.optional(),
  to: idSchema.optional(),
  via: idSchema.optional(),
});

export const metadataSchema = z.looseObject({});

/** Our document (SPEC section 4): version 2, `seq`, `checksum`. */
export const graphDocumentSchema = z.looseObject({
  version: z.literal(2),
  seq: z.number().int().min(0),
  nodes: z.record(z.string(), z.unknown()),
  edges: z.array(z.unknown()),
  patterns: z.record(z.string(), z.unknown()),
  metadata: metadataSchema,
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * What a node may look like in any accepted format: ours, the seed format (no timestamps,
 * maybe no `id`), or the original Python DawsOS (`created`/`modified`, `connections_*`).
 */
export const anyNodeSchema = z.looseObject({
  id: idSchema.optional(),
  type: typeSchema,
  data: jsonObjectSchema.optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  created: z.string().optional(),
  modified: z.string().optional(),
});

export const anyEdgeSchema = z.looseObject({
  id: idSchema.optional(),
  from: idSchema,
  to: idSchema,
  type: typeSchema,
  strength: unitIntervalSchema.optional(),
  created_at: z.string().optional(),
  created: z.string().optional(),
});

/** The envelope of any accepted document (ours, seed or Python). */
export const anyDocumentSchema = z.looseObject({
  version: z.union([z.number(), z.string()]).optional(),
  seq: z.number().int().min(0).optional(),
  nodes: z.record(z.string(), z.unknown()),
  edges: z.array(z.unknown()).optional(),
  patterns: z.record(z.string(), z.unknown()).optional(),
  metadata: metadataSchema.optional(),
  checksum: z.string().optional(),
});

/** One step of a workflow run. */
export const workflowStepSchema = z.looseObject({
  step: z.number().int().optional(),
  agent: z.string(),
  action: z.string(),
  result: z.unknown().optional(),
  duration_ms: z.number().optional(),
});

/** A workflow run record (ours adds `id`, `status`, `duration_ms`; Python records lack them). */
export const workflowRunSchema = z.looseObject({
  id: z.string().optional(),
  workflow: z.string().min(1).max(MAX_ID_LENGTH),
  timestamp: z.string(),
  status: z.string().optional(),
  duration_ms: z.number().optional(),
  steps: z.array(workflowStepSchema),
});

export const workflowHistorySchema = z.array(workflowRunSchema);

// ---------------------------------------------------------------- API inputs

/** `PUT /api/nodes/:id` body. */
export const nodeInputSchema = z.object({
  type: typeSchema,
  data: jsonObjectSchema.default({}),
});

/** `PATCH /api/nodes/:id` body: a JSON merge patch for `data`. */
export const nodePatchSchema = z.object({ data: jsonObjectSchema });

/** `POST /api/edges` body. */
export const edgeInputSchema = z.object({
  from: idSchema,
  to: idSchema,
  type: typeSchema,
  strength: unitIntervalSchema.optional(),
  id: idSchema.optional(),
  metadata: jsonObjectSchema.optional(),
});

export const batchOpSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("put_node"), id: idSchema, type: typeSchema, data: jsonObjectSchema.default({}) }),
  z.object({ op: z.literal("patch_node"), id: idSchema, data: jsonObjectSchema }),
  z.object({ op: z.literal("delete_node"), id: idSchema }),
  edgeInputSchema.extend({ op: z.literal("add_edge") }),
  z.object({ op: z.literal("delete_edge"), id: idSchema }),
  z.object({ op: z.literal("put_pattern"), id: idSchema, pattern: patternSchema }),
  z.object({ op: z.literal("delete_pattern"), id: idSchema }),
]);

export const batchSchema = z.object({ ops: z.array(batchOpSchema).min(1).max(10_000) });

export type NodeInput = z.input<typeof nodeInputSchema>;
export type EdgeInput = z.input<typeof edgeInputSchema>;
export type BatchOp = z.input<typeof batchOpSchema>;
export type WorkflowRun = z.infer<typeof workflowRunSchema>;
