import { defineConfig, type ProxyOptions } from "vite";

/**
 * Keeps the browser's `Host` (Vite's string shorthand would rewrite it to the target's): without
 * a token the server accepts a write only when its `Origin` is the origin the `Host` names, and
 * the page's origin is Vite's (README: Security).
 */
const apiServer: ProxyOptions = { target: "http://127.0.0.1:8787", changeOrigin: false };

/**
 * The dashboard is a static app: `vite build` writes `dist/` (index.html + hashed assets), which
 * `@dawsos/node-server` copies into its own `dist/public` and serves at `/`. Everything is
 * bundled (no CDN, no web fonts): the page makes requests only to the API it was served by.
 */
export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `pnpm --filter @dawsos/dashboard dev` against a running `pnpm start`.
    proxy: { "/api": apiServer, "/health": apiServer, "/openapi.json": apiServer },
  },
});
