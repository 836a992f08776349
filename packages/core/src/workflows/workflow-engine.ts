import { ConflictError, DawsosError, NotFoundError, ValidationError } from "../errors/errors.ts";
import type { JsonObject } from "../graph/types.ts";
import type { WorkflowRunLog } from "../history/workflow-history.ts";
import { type Clock, systemClock } from "../util/clock.ts";

/** One step of a workflow definition: which agent performs which registered action. */
export interface WorkflowStepDefinition {
  agent: string;
  action: string;
  /** Passed to the action as it is. */
  params?: JsonObject;
}

/** A named workflow: steps run in order. */
export interface WorkflowDefinition {
  name: string;
  description: string;
  steps: readonly WorkflowStepDefinition[];
  /**
   * What a failing step does to the rest: `"stop"` (default) skips the remaining steps;
   * `"continue"` runs them anyway (each sees the failure among the previous results).
   */
  onError?: "stop" | "continue";
}

export type StepStatus = "completed" | "failed" | "skipped";

/** A step's `result` in the run record: its status, then what the action returned or the error. */
export interface StepResult extends JsonObject {
  status: StepStatus;
  /** The failure's message (only when `failed`). */
  error?: string;
  /** The failure's stable code, `internal_error` when it was not one of ours. */
  code?: string;
}

/** One step of a run record (SPEC section 5). */
export interface WorkflowStepRecord {
  step: number;
  agent: string;
  action: string;
  result: StepResult;
  duration_ms: number;
  [extra: string]: unknown;
}

/**
 * `completed`: every step completed. `partial`: a step failed, the workflow continues past
 * failures (`onError: "continue"`) and at least one step completed. `failed`: otherwise.
 */
export type RunStatus = "completed" | "failed" | "partial";

/** A run record, as appended to `workflow_history.json` and returned by `POST /api/workflows/:name/run`. */
export interface WorkflowRunRecord {
  id: string;
  workflow: string;
  timestamp: string;
  status: RunStatus;
  duration_ms: number;
  steps: WorkflowStepRecord[];
  [extra: string]: unknown;
}

/** What an action gets besides its params. */
export interface ActionContext {
  workflow: string;
  runId: string;
  /** 1-based step number. */
  step: number;
  /** The records of the steps before this one in the same run. */
  previous: readonly WorkflowStepRecord[];
  /** What started the run: a request (the default) or a schedule (`"schedule"`). */
  trigger: WorkflowTrigger;
}

/** What started a run: a caller (API, CLI) or the server's schedule (recorded as `cron`). */
export type WorkflowTrigger = "request" | "schedule";

/** An action: does its work and returns a JSON object for the step's `result`. */
export type ActionHandler = (params: JsonObject, context: ActionContext) => Promise<JsonObject> | JsonObject;

/** Actions by agent and name. */
export class ActionRegistry {
  readonly #actions = new Map<string, ActionHandler>();

  /** Registers `agent`'s `action`; `ConflictError` if it exists. */
  register(agent: string, action: string, handler: ActionHandler): this {
    const key = actionKey(agent, action);
    if (this.#actions.has(key)) throw new ConflictError(`action ${agent}.${action} is already registered`);
    this.#actions.set(key, handler);
    return this;
  }

  get(agent: string, action: string): ActionHandler | undefined {
    return this.#actions.get(actionKey(agent, action));
  }

  has(agent: string, action: string): boolean {
    return this.#actions.has(actionKey(agent, action));
  }
}

function actionKey(agent: string, action: string): string {
  return `${agent}\u0000${action}`;
}

export interface WorkflowEngineOptions {
  /** Every run is appended here, whatever its status. */
  history?: WorkflowRunLog;
  actions?: ActionRegistry;
  /** Run timestamps. */
  clock?: Clock;
  /** Monotonic milliseconds for durations. Default `performance.now()`. */
  elapsed?: () => number;
  /** Run ids. Default `run_<uuid>` from `crypto.randomUUID()`. */
  runId?: () => string;
}

/** `GET /api/workflows` (SPEC section 5). */
export interface WorkflowSummary {
  name: string;
  description: string;
  steps: Array<{ agent: string; action: string }>;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Runs named workflows over a registry of actions. Steps run in order; each is recorded with its
 * status, result (or error message and code) and duration; a failure stops or continues the run
 * per the workflow's `onError`. The run record is appended to `WorkflowHistory` even when the run
 * fails — the failure is exactly what an operator wants to find there.
 */
export class WorkflowEngine {
  readonly actions: ActionRegistry;
  readonly history: WorkflowRunLog | undefined;
  readonly #workflows = new Map<string, WorkflowDefinition>();
  readonly #clock: Clock;
  readonly #elapsed: () => number;
  readonly #runId: () => string;

  constructor(options: WorkflowEngineOptions = {}) {
    this.actions = options.actions ?? new ActionRegistry();
    this.history = options.history;
    this.#clock = options.clock ?? systemClock;
    this.#elapsed = options.elapsed ?? (() => performance.now());
    this.#runId = options.runId ?? (() => `run_${crypto.randomUUID()}`);
  }

  /**
   * Adds a workflow. Its name must be `[a-z][a-z0-9_]*` and every step must name a registered
   * action (checked now, so a typo fails at start-up rather than at 7 am).
   */
  register(workflow: WorkflowDefinition): this {
    if (!NAME.test(workflow.name))
      throw new ValidationError(`invalid workflow name ${JSON.stringify(workflow.name)}`);
    if (this.#workflows.has(workflow.name))
      throw new ConflictError(`workflow ${workflow.name} is already registered`);
    if (workflow.steps.length === 0) throw new ValidationError(`workflow ${workflow.name} has no steps`);
    for (const step of workflow.steps) {
      if (!this.actions.has(step.agent, step.action))
        throw new ValidationError(`workflow ${workflow.name}: no action ${step.agent}.${step.action}`);
    }
    this.#workflows.set(workflow.name, workflow);
    return this;
  }

  has(name: string): boolean {
    return this.#workflows.has(name);
  }

  /** Registered workflows, by name. */
  list(): WorkflowSummary[] {
    return [...this.#workflows.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((w) => ({
        name: w.name,
        description: w.description,
        steps: w.steps.map(({ agent, action }) => ({ agent, action })),
      }));
  }

  /**
   * Runs a workflow and resolves with its record once the record is in the history.
   * `NotFoundError` for an unknown name; a failing step never rejects — it is in the record.
   */
  async run(name: string, options: { trigger?: WorkflowTrigger } = {}): Promise<WorkflowRunRecord> {
    const workflow = this.#workflows.get(name);
    if (!workflow) throw new NotFoundError(`no workflow ${JSON.stringify(name.slice(0, 80))}`);
    const runId = this.#runId();
    const timestamp = this.#clock.now().toISOString();
    const started = this.#elapsed();
    const steps: WorkflowStepRecord[] = [];
    let failed = false;
    let completedAny = false;
    for (const [index, def] of workflow.steps.entries()) {
      const base = { step: index + 1, agent: def.agent, action: def.action };
      if (failed && workflow.onError !== "continue") {
        steps.push({ ...base, result: { status: "skipped" }, duration_ms: 0 });
        continue;
      }
      const t0 = this.#elapsed();
      let result: StepResult;
      try {
        const handler = this.actions.get(def.agent, def.action)!;
        const output = await handler(def.params ?? {}, {
          workflow: name,
          runId,
          step: index + 1,
          previous: [...steps],
          trigger: options.trigger ?? "request",
        });
        result = { ...output, status: "completed" };
        completedAny = true;
      } catch (error) {
        failed = true;
        result = { status: "failed", ...describeError(error) };
      }
      steps.push({ ...base, result, duration_ms: roundMs(this.#elapsed() - t0) });
    }
    const record: WorkflowRunRecord = {
      id: runId,
      workflow: name,
      timestamp,
      status: !failed ? "completed" : workflow.onError === "continue" && completedAny ? "partial" : "failed",
      duration_ms: roundMs(this.#elapsed() - started),
      steps,
    };
    await this.history?.append(record);
    return record;
  }
}

/** A failure for a run record: our errors keep message and code; anything else is not echoed. */
export function describeError(error: unknown): { error: string; code: string } {
  if (error instanceof DawsosError) return { error: error.message, code: error.code };
  // Foreign messages may carry host paths or URLs (with API keys): keep only the error's kind.
  const name = error instanceof Error ? error.name : typeof error;
  return { error: `internal error (${name})`, code: "internal_error" };
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
