import type { MarketData } from "@dawsos/core";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "../deps.ts";
import { dataErrorResponses, errorResponses, json } from "../openapi-helpers.ts";
import {
  CacheStatsSchema,
  FredQuery,
  FredSeriesSchema,
  QuoteSchema,
  SeriesIdParam,
  SymbolParam,
} from "../schemas.ts";

/**
 * Data capabilities (SPEC section 5): FRED series (TTL 1 h) and market quotes (TTL 60 s) through
 * read-through caches, and the caches' counters. Missing key → 503 `not_configured`; upstream
 * failure → the last value with `stale: true`, or 502 `upstream_error` when there is none.
 */
export function dataRoutes(app: OpenAPIHono<ApiEnv>, market: MarketData): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/data/fred/{series_id}",
      summary: "Latest observation of a FRED series (cached 1 h)",
      request: { params: SeriesIdParam, query: FredQuery },
      responses: { 200: json(FredSeriesSchema, "latest observation"), ...dataErrorResponses },
    }),
    async (c) => {
      const { series_id } = c.req.valid("param");
      const { units } = c.req.valid("query");
      return c.json(await market.fredSeries(series_id, units === undefined ? {} : { units }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/data/quotes/{symbol}",
      summary: "Market quote (Financial Modeling Prep, cached 60 s)",
      request: { params: SymbolParam },
      responses: { 200: json(QuoteSchema, "quote"), ...dataErrorResponses },
    }),
    async (c) => c.json(await market.quote(c.req.valid("param").symbol), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/cache/stats",
      summary: "Counters per cache namespace",
      responses: { 200: json(CacheStatsSchema, "per namespace"), ...errorResponses },
    }),
    (c) => c.json(market.cacheStats(), 200),
  );
}
