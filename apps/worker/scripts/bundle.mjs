#!/usr/bin/env node
// Bundles the Worker (src/index.ts and the workspace packages, from their TypeScript sources)
// into dist/bundle/worker.js; wrangler.jsonc runs this as its build command before `wrangler
// dev` and `wrangler deploy`, then uploads (and minifies) that file.
//
// Why our own esbuild step: @hono/zod-openapi passes zod's whole `z` namespace to
// extendZodWithOpenApi, so no bundler can tree-shake `z.locales` — 40-odd translations of zod's
// error messages (~40 KiB gzip) that the API never uses (it answers in English, through
// zod's default `en` locale, which zod imports on its own). This build replaces zod's locale
// index with an empty module.
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/** zod's `locales/index.js` → an empty module (the `en` locale zod uses is imported directly). */
const withoutZodLocales = {
  name: "without-zod-locales",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "empty" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts"],
  outfile: "dist/bundle/worker.js",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  // Workspace packages resolve to their sources; npm packages to their Workers/browser builds.
  conditions: ["@dawsos/source", "workerd", "worker", "browser", "import", "default"],
  sourcemap: true,
  logLevel: "warning",
  plugins: [withoutZodLocales],
});
