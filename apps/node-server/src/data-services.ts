import {
  type CacheEvent,
  MarketData,
  registerBuiltinWorkflows,
  WorkflowEngine,
  WorkflowHistory,
} from "@dawsos/core";
import type { ServerConfig } from "./config.ts";
import type { OpenedStore } from "./open-store.ts";
import { type Schedule, startSchedule } from "./schedule.ts";

export interface DataServices {
  market: MarketData;
  history: WorkflowHistory;
  workflows: WorkflowEngine;
  /** Set when `DAWSOS_SCHEDULE` is. */
  schedule: Schedule | undefined;
  /** Stops the schedule and waits for a scheduled run in flight (its writes must land before close). */
  stop(): Promise<void>;
}

const line = (stream: NodeJS.WriteStream, entry: Record<string, unknown>) =>
  stream.write(`${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`);

function logCacheEvent(event: CacheEvent): void {
  const { type, ...rest } = event;
  const detail = "error" in rest ? { ...rest, error: String(rest.error) } : rest;
  line(process.stderr, { event: type, ...detail });
}

/**
 * FRED and FMP behind persisted read-through caches (`storage/cache/`), the workflow engine with
 * the built-in workflows, and the optional `morning_briefing` schedule.
 */
export function createDataServices(config: ServerConfig, opened: OpenedStore): DataServices {
  const market = MarketData.create({
    fredApiKey: config.fredApiKey,
    fredBaseUrl: config.fredBaseUrl,
    fmpApiKey: config.fmpApiKey,
    fmpBaseUrl: config.fmpBaseUrl,
    storage: opened.storage,
    onEvent: logCacheEvent,
  });
  const history = new WorkflowHistory(opened.storage);
  const workflows = registerBuiltinWorkflows(new WorkflowEngine({ history }), {
    store: opened.store,
    market,
  });
  let running: Promise<void> = Promise.resolve();
  const schedule = config.schedule
    ? startSchedule(
        config.schedule,
        () => {
          running = workflows.run("morning_briefing", { trigger: "schedule" }).then((run) => {
            line(process.stdout, {
              event: "workflow_run",
              workflow: run.workflow,
              id: run.id,
              status: run.status,
              duration_ms: run.duration_ms,
              trigger: "schedule",
            });
          });
          return running;
        },
        (error) =>
          line(process.stderr, {
            event: "workflow_run_failed",
            workflow: "morning_briefing",
            error: String(error),
          }),
      )
    : undefined;
  if (schedule)
    line(process.stdout, {
      event: "scheduled",
      workflow: "morning_briefing",
      cron: config.schedule,
      next: schedule.next()?.toISOString() ?? null,
    });
  return {
    market,
    history,
    workflows,
    schedule,
    stop: async () => {
      schedule?.stop();
      await running.catch(() => undefined);
    },
  };
}
