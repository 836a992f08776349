export { type ChatMessage, MAX_MESSAGE_LENGTH, SESSION_ID, type Session } from "./session-files.ts";
export * from "./session-store.ts";
