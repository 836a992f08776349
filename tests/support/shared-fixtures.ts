import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is tests/support/shared-fixtures.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Real files written by the original Python DawsOS live in `../shared/fixtures/dawsos-python`
 * beside the repository (CI and developers have it; a user's clone may not). They are never
 * copied into the repo.
 */
export const PYTHON_FIXTURES_DIR = resolve(REPO_ROOT, "../shared/fixtures/dawsos-python");

export const havePythonFixtures = existsSync(PYTHON_FIXTURES_DIR);

if (!havePythonFixtures) {
  console.warn(
    `[dawsos tests] ${PYTHON_FIXTURES_DIR} is absent: compatibility tests against the original Python ` +
      "DawsOS files are skipped (our own small fixtures in the same formats still run).",
  );
}

/** Graph documents among the shared fixtures (every *.json except the workflow history). */
export function pythonGraphFixtures(): string[] {
  if (!havePythonFixtures) return [];
  return readdirSync(PYTHON_FIXTURES_DIR)
    .filter((f) => f.endsWith(".json") && f !== "workflow_history.json")
    .sort()
    .map((f) => join(PYTHON_FIXTURES_DIR, f));
}
