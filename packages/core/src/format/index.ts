export * from "./read-document.ts";
export * from "./schemas.ts";
export * from "./verify-document.ts";
export * from "./write-document.ts";
