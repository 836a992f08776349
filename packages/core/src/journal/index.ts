export * from "./journal-record.ts";
export * from "./journal-writer.ts";
export * from "./read-journal.ts";
