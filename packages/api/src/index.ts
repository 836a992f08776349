export { createApp, DEFAULT_BODY_LIMIT, DEFAULT_GRAPH_BODY_LIMIT } from "./app.ts";
export type { ApiEnv, AppDeps, FeedLimits, RequestLogEntry } from "./deps.ts";
export { type ErrorBody, errorBody } from "./errors.ts";
export { createGateway, type GatewayDeps } from "./gateway.ts";
export { withSecurityHeaders } from "./middleware/security-headers.ts";
