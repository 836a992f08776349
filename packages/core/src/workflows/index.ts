export * from "./builtin-workflows.ts";
export * from "./workflow-engine.ts";
