#!/usr/bin/env node
// `pnpm test:deno`: runs core's vitest unit tests a second time under Deno, to prove that core
// really is runtime-agnostic (no Node built-ins, no Node-only globals). See vitest-shim.ts for how
// the vitest API is emulated.
//
// Usage: node tests/deno/run.mjs [root]   (root, or env DENO_TEST_ROOT, defaults to packages/core/src)
// Every `*.test.ts` below root runs, except files with `// deno:skip` in their first 5 lines (for
// tests that genuinely need vitest-only features such as `vi` mocks).
//
// How npm packages resolve: deno.json sets `"nodeModulesDir": "manual"`, i.e. Deno resolves bare
// specifiers like Node does, from the node_modules pnpm already installed next to each file
// (packages/core/node_modules -> zod, @noble/hashes, lru-cache, fast-check, canonicalize; tests/node_modules ->
// expect for the shim). We chose that over an import map of `npm:` specifiers because:
//   - it runs the exact package copies pinned by pnpm-lock.yaml that vitest runs, with no second
//     list of versions to keep in sync and no deno.lock;
//   - it needs no network and no download step: `pnpm install` (which CI runs first) is enough;
//   - core's tests see only core's declared dependencies (pnpm's strict layout), as under Node.
// The import map in deno.json has a single entry, "vitest" -> the shim, and it takes precedence
// over node_modules. A root outside the repo therefore needs its own node_modules.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const configPath = path.join(here, "deno.json");
const rootArg = process.argv[2] ?? process.env.DENO_TEST_ROOT;
const testRoot = rootArg ? path.resolve(rootArg) : path.join(repoRoot, "packages/core/src");

const SKIP_MARKER = "// deno:skip";

/** Recursive walk that never descends into node_modules or dot-directories. */
function findTestFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && !entry.name.startsWith(".")) found.push(...findTestFiles(full));
    } else if (entry.isFile() && entry.name.endsWith(".test.ts")) {
      found.push(full);
    }
  }
  return found;
}

/** Repo-relative when inside the repo (Deno echoes these paths in its report), else absolute. */
function displayPath(file) {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

function hasSkipMarker(file) {
  return readFileSync(file, "utf8")
    .split("\n", 5)
    .some((line) => line.includes(SKIP_MARKER));
}

/**
 * The deno npm package (a devDependency of tests/) ships the native binary inside the package;
 * node_modules/.bin/deno is only a shell wrapper that starts Node just to spawn it. Resolve the
 * package the way Node would from tests/ and run the binary directly; if its postinstall did not
 * place it there, fall back to the package's own launcher, then to the .bin wrapper.
 */
function denoCommand() {
  try {
    const pkgDir = path.dirname(
      createRequire(path.join(repoRoot, "tests/package.json")).resolve("deno/package.json"),
    );
    const exe = path.join(pkgDir, process.platform === "win32" ? "deno.exe" : "deno");
    if (existsSync(exe)) return [exe];
    const launcher = path.join(pkgDir, "bin.cjs");
    if (existsSync(launcher)) return [process.execPath, launcher];
  } catch {
    // fall through to the .bin wrapper
  }
  const wrapper = path.join(
    repoRoot,
    "tests/node_modules/.bin",
    process.platform === "win32" ? "deno.cmd" : "deno",
  );
  if (existsSync(wrapper)) return [wrapper];
  console.error(
    "test:deno: the deno binary is missing; run `pnpm install` (deno is a devDependency of tests/).",
  );
  process.exit(1);
}

if (!existsSync(testRoot)) {
  console.error(`test:deno: test root ${testRoot} does not exist.`);
  process.exit(1);
}
const all = findTestFiles(testRoot).sort();
const skipped = all.filter(hasSkipMarker);
const files = all.filter((f) => !skipped.includes(f));
for (const f of skipped) console.log(`test:deno: skipping ${displayPath(f)} (${SKIP_MARKER})`);
if (files.length === 0) {
  console.error(
    `test:deno: no *.test.ts files to run under ${testRoot} (found ${all.length}, all marked ${SKIP_MARKER}).`,
  );
  process.exit(1);
}

const [command, ...prefix] = denoCommand();
const args = [
  ...prefix,
  "test",
  "--config",
  configPath,
  // Deno loads modules without any permission. Jest's expect reads the test's source to print a
  // code frame in failure messages (without read access it silently drops it); expect's
  // dependencies read NODE_ENV and colour/CI variables while loading, so without env access every
  // file fails to import.
  "--allow-read",
  "--allow-env",
  // A missing permission must fail the test, not wait forever on an interactive prompt.
  "--no-prompt",
  // Types are checked by tsc in `pnpm typecheck`; Deno only has to run the code.
  "--no-check",
  ...files.map(displayPath),
];
console.log(`test:deno: ${[command, ...args].join(" ")}`);

const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1" };
// Deno colours its report even into a pipe; keep CI logs free of escape codes.
if (!process.stdout.isTTY && env.FORCE_COLOR === undefined) env.NO_COLOR = "1";

// stdout is piped (and echoed as it arrives) only to pick up Deno's summary, so that a plain
// "N passed, N failed" line closes the output whatever runner output precedes it.
const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["inherit", "pipe", "inherit"] });
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString("utf8")).slice(-4096);
});
child.on("error", (error) => {
  console.error(`test:deno: could not start ${command}: ${error.message}`);
  process.exit(1);
});
child.on("close", (code, signal) => {
  // Deno's summary looks like "ok | 12 passed (3 steps) | 0 failed | 1 ignored (120ms)".
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
  const summary = plain.match(/^(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed(?: \| (\d+) ignored)?/m);
  if (summary) console.log(`deno: ${summary[1]} passed, ${summary[2]} failed, ${summary[3] ?? 0} skipped`);
  if (signal) console.error(`test:deno: deno was killed by ${signal}`);
  process.exitCode = code ?? 1;
});
