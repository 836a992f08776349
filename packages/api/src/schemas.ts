import {
  batchSchema,
  edgeInputSchema,
  FRED_SERIES_ID_PATTERN,
  FRED_UNITS,
  nodeInputSchema,
  nodePatchSchema,
  patternSchema,
  SYMBOL_PATTERN,
} from "@dawsos/core";
import { z } from "@hono/zod-openapi";

/**
 * Request and response schemas of the HTTP API. Bodies reuse core's zod schemas, so the
 * OpenAPI document (`GET /openapi.json`) and the validation are the same code.
 */
const id = (name: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name, in: "path" } });

export const NodeIdParam = z.object({ id: id("id") });
export const TimestampIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "20260101_120000" }),
});
export const SessionIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
export const PatternTypeParam = z.object({ type: id("type") });

const limit = z.coerce.number().int().min(1).max(1000).default(100);
const text = z.string().max(256);

export const NodesQuery = z.object({
  type: text.optional(),
  q: text.optional(),
  limit,
  cursor: z.string().max(1024).optional(),
});
export const EdgesQuery = z.object({
  from: text.optional(),
  to: text.optional(),
  type: text.optional(),
  limit,
  cursor: z.string().max(1024).optional(),
});
export const NeighborsQuery = z.object({
  direction: z.enum(["in", "out", "both"]).default("both"),
  depth: z.coerce.number().int().min(1).max(5).default(1),
  edge_type: text.optional(),
});
export const PathsQuery = z.object({
  from: z.string().min(1).max(256),
  to: z.string().min(1).max(256),
  max_depth: z.coerce.number().int().min(1).max(8).default(4),
});

// Core's schemas, used as they are (the same zod instances validate the library and the API).
export const NodeBody = nodeInputSchema;
export const NodePatchBody = nodePatchSchema;
export const EdgeBody = edgeInputSchema;
export const PatternBody = patternSchema;
export const BatchBody = batchSchema;
export const GraphBody = z.record(z.string(), z.unknown()).openapi("GraphDocument");
export const MessageBody = z
  .object({ role: z.enum(["user", "assistant"]), content: z.string().max(32_000) })
  .openapi("MessageInput");

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi("Error");

export const NodeSchema = z
  .looseObject({
    id: z.string(),
    type: z.string(),
    data: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Node");
export const EdgeSchema = z
  .looseObject({
    id: z.string(),
    from: z.string(),
    to: z.string(),
    type: z.string(),
    strength: z.number(),
    created_at: z.string(),
  })
  .openapi("Edge");
export const StatsSchema = z
  .object({
    total_nodes: z.number(),
    total_edges: z.number(),
    total_patterns: z.number(),
    node_types: z.record(z.string(), z.number()),
    edge_types: z.record(z.string(), z.number()),
    seq: z.number(),
  })
  .openapi("Stats");
export const BackupSchema = z
  .object({
    id: z.string(),
    created: z.string(),
    files: z.array(z.object({ name: z.string(), size: z.number(), checksum: z.string() })),
  })
  .openapi("Backup");
export const ChatMessageSchema = z
  .object({ role: z.enum(["user", "assistant"]), content: z.string(), at: z.string() })
  .openapi("ChatMessage");
export const SessionSchema = z
  .looseObject({
    id: z.string(),
    created: z.string(),
    chat_history: z.array(ChatMessageSchema).openapi({
      description: "oldest first; the newest 1,000 messages are kept",
    }),
  })
  .openapi("Session");
export const AnyJson = z.unknown();

// ---------------------------------------------------------------- data and workflows

export const SeriesIdParam = z.object({
  series_id: z
    .string()
    .regex(FRED_SERIES_ID_PATTERN, "a FRED series id: letters, digits, underscores")
    .openapi({ param: { name: "series_id", in: "path" }, example: "CPIAUCSL" }),
});
export const FredQuery = z.object({
  units: z.enum(FRED_UNITS).optional().openapi({ description: "FRED units transform (default lin)" }),
});
export const SymbolParam = z.object({
  symbol: z
    .string()
    .regex(SYMBOL_PATTERN, "a ticker: letters and digits, groups joined by . or -")
    .openapi({ param: { name: "symbol", in: "path" }, example: "AAPL" }),
});
export const WorkflowNameParam = z.object({
  name: z
    .string()
    .max(64)
    .openapi({ param: { name: "name", in: "path" }, example: "morning_briefing" }),
});
export const HistoryQuery = z.object({
  workflow: text.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const FredSeriesSchema = z
  .object({
    series_id: z.string(),
    date: z.string(),
    value: z.number(),
    cached: z.boolean(),
    stale: z.boolean(),
    fetched_at: z.string(),
  })
  .openapi("FredSeries");
export const QuoteSchema = z
  .object({
    symbol: z.string(),
    price: z.number(),
    change: z.number(),
    change_percent: z.number(),
    timestamp: z.string(),
    cached: z.boolean(),
    stale: z.boolean(),
    fetched_at: z.string(),
  })
  .openapi("Quote");
export const CacheStatsSchema = z
  .record(
    z.string(),
    z.object({
      hits: z.number(),
      misses: z.number(),
      stale_served: z.number(),
      entries: z.number(),
      inflight_joined: z.number(),
      evictions: z.number(),
    }),
  )
  .openapi("CacheStats");
export const WorkflowSummarySchema = z
  .object({
    name: z.string(),
    description: z.string(),
    steps: z.array(z.object({ agent: z.string(), action: z.string() })),
  })
  .openapi("Workflow");
export const WorkflowRunSchema = z
  .looseObject({
    id: z.string().optional(),
    workflow: z.string(),
    timestamp: z.string(),
    status: z.string().optional(),
    duration_ms: z.number().optional(),
    steps: z.array(
      z.looseObject({
        step: z.number().optional(),
        agent: z.string(),
        action: z.string(),
        result: z.unknown().optional(),
        duration_ms: z.number().optional(),
      }),
    ),
  })
  .openapi("WorkflowRun");
