export * from "./fred-client.ts";
export * from "./market-data.ts";
export * from "./provider-http.ts";
export * from "./quote-client.ts";
export * from "./rate-limit.ts";
