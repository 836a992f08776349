import { SessionStore, type StorageAdapter } from "@dawsos/core";
import type { ServerConfig } from "./config.ts";

/**
 * The session store with the configured retention. Retention runs on every create; the pass
 * here, at start, removes what expired while the server was down. It never stops the server:
 * a failure is logged (stderr, like store events) and the next create tries again.
 */
export async function openSessions(
  storage: StorageAdapter,
  config: Pick<ServerConfig, "sessionMaxCount" | "sessionMaxAgeMs">,
): Promise<SessionStore> {
  const sessions = new SessionStore(storage, {
    maxSessions: config.sessionMaxCount,
    maxAgeMs: config.sessionMaxAgeMs,
  });
  const log = (event: Record<string, unknown>) =>
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  try {
    const { removed } = await sessions.sweep();
    if (removed > 0) log({ event: "sessions_removed", removed });
  } catch (err) {
    log({ event: "session_sweep_failed", error: (err as Error).message });
  }
  return sessions;
}
