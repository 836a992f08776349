export * from "./document-records.ts";
export * from "./line-reader.ts";
export * from "./read-document.ts";
export * from "./schemas.ts";
export * from "./stream-read-document.ts";
export * from "./trailer.ts";
export * from "./verify-document.ts";
export * from "./write-document.ts";
