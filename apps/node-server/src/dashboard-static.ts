import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Env, Hono } from "hono";

/**
 * The built dashboard (`@dawsos/dashboard`'s `dist/`, a dependency of this package so turbo's
 * `^build` builds it first), or null when it has not been built.
 */
export function dashboardDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("@dawsos/dashboard/package.json");
    const dist = join(dirname(pkg), "dist");
    return existsSync(join(dist, "index.html")) ? dist : null;
  } catch {
    return null;
  }
}

const isApi = (path: string) => path === "/api" || path.startsWith("/api/");
/** A path whose last segment has no extension: a client-side route, answered with index.html. */
const isPageRoute = (path: string) => !/\.[^/]*$/.test(path);

/**
 * Serves the dashboard at `/`. Mount it after `createApp`'s routes: `/health` and
 * `/openapi.json` answer first, and `/api/*` never reaches these handlers (an unknown API path
 * keeps its JSON 404). Hashed assets are cached for good; index.html is revalidated.
 */
export function mountDashboard<E extends Env>(app: Hono<E>, root: string): void {
  const assets = serveStatic<E>({
    root,
    onFound: (path, c) => {
      c.header(
        "Cache-Control",
        path.includes(`${join(root, "assets")}`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  const index = serveStatic<E>({
    root,
    path: "index.html",
    onFound: (_path, c) => {
      c.header("Cache-Control", "no-cache");
    },
  });
  app.use("*", (c, next) => (isApi(c.req.path) ? next() : assets(c, next)));
  app.use("*", (c, next) => (isApi(c.req.path) || !isPageRoute(c.req.path) ? next() : index(c, next)));
}
