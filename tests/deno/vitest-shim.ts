/**
 * A small stand-in for the parts of vitest's API that core's unit tests use, so the very same
 * `packages/core/src/**\/*.test.ts` files also run under `deno test` (tests/deno/deno.json maps the
 * bare specifier "vitest" here). Running them on a second runtime is the point: core promises to
 * be runtime-agnostic, and Deno is the cheapest proof that it does not lean on Node.
 *
 * Model: `describe` runs its body immediately (as vitest's collector does) to build a tree of
 * suites; every `it`/`test` becomes its own `Deno.test`, named by its describe path joined with
 * " > " like vitest's reporter. Deno runs a module's tests one at a time in registration order and
 * gives every test module its own isolate, so this module's state is per test file and
 * beforeAll/afterAll can be run lazily: before the first test of a suite and after its last one.
 * Known gaps (mark such files `// deno:skip`): vi mocks/timers, snapshots, `.each`, `.concurrent`,
 * async describe bodies, `ctx.skip()`. When `.only` or `deno test --filter` leaves tests out, a
 * suite's afterAll may not run.
 */

import type { MatcherContext, SyncExpectationResult } from "expect";
import { expect as jestExpect } from "expect";

type JestExpect = typeof jestExpect;
/** Jest's expect, plus vitest's optional second argument: a message naming the failing case. */
export type Expect = JestExpect & (<T>(actual: T, message?: string) => ReturnType<JestExpect>);

/**
 * Jest's expect throws synchronously when given a message ("Expect takes at most one argument"),
 * which also leaves a promise under test unhandled. Accept it and prefix it to any failure, the way
 * vitest does; every static (`expect.any`, `expect.extend`, ...) passes through the proxy untouched.
 */
export const expect: Expect = new Proxy(jestExpect, {
  apply(target, _this, args: unknown[]) {
    const expectation = target(args[0]);
    const message = args[1];
    return typeof message === "string" ? prefixFailures(expectation, message) : expectation;
  },
}) as Expect;

function prefixFailures<T extends object>(matchers: T, message: string): T {
  const prefix = (error: unknown): never => {
    if (error instanceof Error) {
      error.message = `${message}: ${error.message}`;
    }
    throw error;
  };
  return new Proxy(matchers, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      // `.not`, `.resolves` and `.rejects` are nested matcher objects.
      if (typeof value === "object" && value !== null) return prefixFailures(value, message);
      if (typeof value !== "function") return value;
      const matcher = (...args: unknown[]): unknown => {
        try {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.catch(prefix) : result;
        } catch (error) {
          // Point the failure at the test's line rather than at this wrapper, as Jest does.
          if (error instanceof Error) Error.captureStackTrace(error, matcher);
          return prefix(error);
        }
      };
      return matcher;
    },
  });
}

type Awaitable<T> = T | PromiseLike<T>;
type Cleanup = () => Awaitable<unknown>;

export interface TestContext {
  readonly task: { readonly name: string };
  readonly expect: Expect;
  /** Like vitest's: runs after the test and its afterEach hooks, pass or fail. */
  onTestFinished(fn: Cleanup): void;
}

export type TestFunction = (context: TestContext) => Awaitable<unknown>;
/** A hook may return a cleanup function, which vitest runs as the matching "after" hook. */
export type HookFunction = (context: TestContext) => Awaitable<unknown>;
/** vitest accepts a bare timeout in ms or an options object; Deno has no per-test timeout, so it is ignored. */
export type TestOptions = number | { timeout?: number; skip?: boolean; only?: boolean; todo?: boolean };

type Mode = "run" | "skip" | "only";

interface Suite {
  readonly name: string;
  readonly parent: Suite | undefined;
  readonly mode: Mode;
  readonly beforeAll: HookFunction[];
  readonly afterAll: HookFunction[];
  readonly beforeEach: HookFunction[];
  readonly afterEach: HookFunction[];
  readonly beforeAllCleanups: Cleanup[];
  /** Tests in this suite and below that will really run; afterAll fires when `done` reaches it. */
  planned: number;
  done: number;
  started: boolean;
  /** A failed beforeAll fails every test of its suite, as in vitest, rather than running them unprepared. */
  setupError: { error: unknown } | undefined;
}

function newSuite(name: string, parent: Suite | undefined, mode: Mode): Suite {
  return {
    name,
    parent,
    mode,
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    beforeAllCleanups: [],
    planned: 0,
    done: 0,
    started: false,
    setupError: undefined,
  };
}

// The implicit file-level suite holds hooks registered outside any describe.
const root = newSuite("", undefined, "run");
let current = root;

/** Outermost first. */
function chainOf(suite: Suite): Suite[] {
  const chain: Suite[] = [];
  for (let s: Suite | undefined = suite; s; s = s.parent) chain.unshift(s);
  return chain;
}

function isFunction(value: unknown): value is Cleanup {
  return typeof value === "function";
}

/** Runs every cleanup even if some throw, so one broken hook does not leak state into later tests. */
async function runAll(fns: readonly Cleanup[], errors: unknown[]): Promise<void> {
  for (const fn of fns) {
    try {
      await fn();
    } catch (error) {
      errors.push(error);
    }
  }
}

function throwCollected(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} errors in test and hooks`);
}

async function runTest(chain: Suite[], name: string, fn: TestFunction): Promise<void> {
  const errors: unknown[] = [];
  const eachCleanups: Cleanup[] = [];
  const finished: Cleanup[] = [];
  const context: TestContext = { task: { name }, expect, onTestFinished: (f) => void finished.push(f) };
  try {
    for (const suite of chain) {
      if (!suite.started) {
        suite.started = true;
        try {
          for (const hook of suite.beforeAll) {
            const cleanup = await hook(context);
            if (isFunction(cleanup)) suite.beforeAllCleanups.unshift(cleanup);
          }
        } catch (error) {
          suite.setupError = { error };
        }
      }
      if (suite.setupError) throw suite.setupError.error;
    }
    for (const suite of chain) {
      for (const hook of suite.beforeEach) {
        const cleanup = await hook(context);
        if (isFunction(cleanup)) eachCleanups.unshift(cleanup);
      }
    }
    await fn(context);
  } catch (error) {
    errors.push(error);
  }
  // "after" hooks run innermost suite first and in reverse registration order (vitest's default "stack").
  for (const suite of [...chain].reverse()) {
    await runAll(
      [...suite.afterEach].reverse().map((hook) => () => hook(context)),
      errors,
    );
  }
  await runAll(eachCleanups, errors);
  await runAll([...finished].reverse(), errors);
  // Errors from afterAll are reported on the suite's last test, the only place Deno can show them.
  for (const suite of [...chain].reverse()) {
    suite.done++;
    if (suite.done === suite.planned && suite.started) {
      await runAll(
        [...suite.afterAll].reverse().map((hook) => () => hook(context)),
        errors,
      );
      await runAll(suite.beforeAllCleanups, errors);
    }
  }
  throwCollected(errors);
}

/** vitest accepts both `(name, fn, options)` and `(name, options, fn)`. */
function normalize<F>(
  a: F | TestOptions | undefined,
  b: F | TestOptions | undefined,
): { fn: F | undefined; options: Exclude<TestOptions, number> } {
  const [fn, opts] = typeof a === "function" ? [a, b] : [b, a];
  const options = typeof opts === "object" && opts !== null ? opts : {};
  return { fn: fn as F | undefined, options: options as Exclude<TestOptions, number> };
}

function registerTest(
  name: string,
  fn: TestFunction | undefined,
  options: Exclude<TestOptions, number>,
  mode: Mode,
): void {
  const suite = current;
  const chain = chainOf(suite);
  const skipped =
    !fn ||
    options.todo === true ||
    options.skip === true ||
    mode === "skip" ||
    chain.some((s) => s.mode === "skip");
  const only = !skipped && (mode === "only" || options.only === true || chain.some((s) => s.mode === "only"));
  const fullName = [...chain.map((s) => s.name).filter((n) => n !== ""), name].join(" > ");
  if (!skipped) for (const s of chain) s.planned++;
  Deno.test({
    name: fullName,
    ignore: skipped,
    only,
    // vitest has no leak sanitizers; core tests were not written to satisfy Deno's.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => runTest(chain, name, fn ?? (() => undefined)),
  });
}

function registerSuite(name: string, fn: (() => unknown) | undefined, mode: Mode): void {
  const parent = current;
  // Only the suite's own mode is stored; registerTest looks at the whole chain.
  const suite = newSuite(name, parent, mode);
  current = suite;
  try {
    const result = fn?.();
    if (result && typeof (result as PromiseLike<unknown>).then === "function") {
      throw new Error(
        `describe("${name}"): async describe bodies are not supported under Deno; mark the file // deno:skip`,
      );
    }
  } finally {
    current = parent;
  }
}

type TestArgs = [
  name: string,
  fnOrOptions?: TestFunction | TestOptions,
  optionsOrFn?: TestFunction | TestOptions,
];
type SuiteFn = () => unknown;
type SuiteArgs = [name: string, fnOrOptions?: SuiteFn | TestOptions, optionsOrFn?: SuiteFn | TestOptions];

export interface TestAPI {
  (...args: TestArgs): void;
  skip(...args: TestArgs): void;
  only(...args: TestArgs): void;
  todo(name: string): void;
  skipIf(condition: unknown): (...args: TestArgs) => void;
  runIf(condition: unknown): (...args: TestArgs) => void;
}

export interface SuiteAPI {
  (...args: SuiteArgs): void;
  skip(...args: SuiteArgs): void;
  only(...args: SuiteArgs): void;
  todo(name: string): void;
  skipIf(condition: unknown): (...args: SuiteArgs) => void;
  runIf(condition: unknown): (...args: SuiteArgs) => void;
}

function makeTestAPI(): TestAPI {
  const withMode =
    (mode: Mode) =>
    (name: string, a?: TestFunction | TestOptions, b?: TestFunction | TestOptions): void => {
      const { fn, options } = normalize<TestFunction>(a, b);
      registerTest(name, fn, options, mode);
    };
  return Object.assign(withMode("run"), {
    skip: withMode("skip"),
    only: withMode("only"),
    todo: (name: string) => registerTest(name, undefined, { todo: true }, "skip"),
    skipIf: (condition: unknown) => withMode(condition ? "skip" : "run"),
    runIf: (condition: unknown) => withMode(condition ? "run" : "skip"),
  });
}

function makeSuiteAPI(): SuiteAPI {
  const withMode =
    (mode: Mode) =>
    (name: string, a?: SuiteFn | TestOptions, b?: SuiteFn | TestOptions): void => {
      const { fn, options } = normalize<SuiteFn>(a, b);
      registerSuite(name, fn, options.skip ? "skip" : options.only ? "only" : mode);
    };
  return Object.assign(withMode("run"), {
    skip: withMode("skip"),
    only: withMode("only"),
    todo: (name: string) => registerSuite(name, undefined, "skip"),
    skipIf: (condition: unknown) => withMode(condition ? "skip" : "run"),
    runIf: (condition: unknown) => withMode(condition ? "run" : "skip"),
  });
}

export const it: TestAPI = makeTestAPI();
export const test: TestAPI = it;
export const describe: SuiteAPI = makeSuiteAPI();
export const suite: SuiteAPI = describe;

// Hook timeouts (vitest's second argument) are accepted and ignored, like test timeouts.
export function beforeAll(fn: HookFunction, _timeout?: number): void {
  current.beforeAll.push(fn);
}
export function afterAll(fn: HookFunction, _timeout?: number): void {
  current.afterAll.push(fn);
}
export function beforeEach(fn: HookFunction, _timeout?: number): void {
  current.beforeEach.push(fn);
}
export function afterEach(fn: HookFunction, _timeout?: number): void {
  current.afterEach.push(fn);
}

/**
 * Not emulated. Exported anyway so a file that merely imports `vi` still loads and only the tests
 * that use it fail, with a message saying what to do instead of a module link error.
 */
export const vi: Record<string, never> = new Proxy(
  {},
  {
    get(_target, key) {
      throw new Error(`vi.${String(key)} is not available under Deno; mark the test file // deno:skip`);
    },
  },
);

// Matchers vitest has and Jest 30's expect lacks. Only public expect API is used, so an upgrade of
// "expect" cannot silently break them.
function toBeTypeOf(this: MatcherContext, received: unknown, expected: string): SyncExpectationResult {
  const actual = typeof received;
  return {
    pass: actual === expected,
    message: () =>
      `expected ${this.utils.printReceived(received)} ${this.isNot ? "not " : ""}to be type of ${expected}` +
      (this.isNot ? "" : ` (got ${actual})`),
  };
}

// Jest 30 dropped the `toThrowError` alias that vitest code uses everywhere; delegate to toThrow.
// Under `.rejects` expect hands us the rejection reason itself, so re-throw it from a function.
function toThrowError(this: MatcherContext, received: unknown, expected?: unknown): SyncExpectationResult {
  const isNot = this.isNot === true;
  const thrower =
    this.promise === "rejects"
      ? () => {
          throw received;
        }
      : received;
  try {
    const base = jestExpect(thrower);
    (isNot ? base.not : base).toThrow(expected as never);
    return { pass: !isNot, message: () => "" };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { pass: isNot, message: () => message };
  }
}

jestExpect.extend({ toBeTypeOf, toThrowError });
