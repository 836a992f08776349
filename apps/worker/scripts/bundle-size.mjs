#!/usr/bin/env node
// `wrangler deploy --dry-run --outdir dist/deploy` (offline: builds and bundles exactly what a
// deploy would upload, minified), then prints the bundle's gzip size and fails above the budget.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

// 150 KiB until the change feed (its tables, SSE and hibernatable WebSockets) reached it.
const BUDGET_KIB = 155;
const root = fileURLToPath(new URL("..", import.meta.url));
const wrangler = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));

execFileSync(wrangler, ["deploy", "--dry-run", "--outdir", "dist/deploy"], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
const bundle = readFileSync(new URL("../dist/deploy/worker.js", import.meta.url));
const kib = (bytes) => (bytes / 1024).toFixed(1);
const gzipped = gzipSync(bundle, { level: 9 }).length;
console.log(
  `worker bundle (minified): ${kib(bundle.length)} KiB, gzip: ${kib(gzipped)} KiB (budget ${BUDGET_KIB} KiB)`,
);
if (gzipped > BUDGET_KIB * 1024) {
  console.error(`the Worker bundle is over its ${BUDGET_KIB} KiB gzip budget`);
  process.exit(1);
}
