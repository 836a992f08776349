export * from "./workflow-history.ts";
