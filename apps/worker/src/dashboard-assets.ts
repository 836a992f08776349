import { errorBody, withSecurityHeaders } from "@dawsos/api";

/** The dashboard's static assets (wrangler.jsonc `assets`, binding `ASSETS`). */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/**
 * A path whose last segment has no extension is a client-side route, answered with index.html;
 * anything else names a file. The same rule as the Node server (apps/node-server/src/
 * dashboard-static.ts), so both answer every path alike.
 */
export function isPageRoute(pathname: string): boolean {
  return !/\.[^/]*$/.test(pathname);
}

/**
 * Serves a GET/HEAD for the dashboard, with the app's security headers. wrangler.jsonc sets `not_found_handling: "none"`, so the
 * binding says 404 for a file it does not have and this decides: a client-side route gets
 * index.html, a missing file the JSON 404 the Node server gives. The platform's
 * "single-page-application" mode would answer index.html with 200 for a missing script too —
 * after a deploy, a tab still holding the previous index.html would then get HTML for its
 * hashed chunk (a MIME-type error in the browser, and cached as if it were the script).
 */
export async function serveDashboard(request: Request, assets: AssetsBinding): Promise<Response> {
  // The same security headers as every answer of the app (X-Frame-Options above all: the
  // dashboard's buttons restore and delete, so no other site may frame it).
  return withSecurityHeaders(await findDashboardFile(request, assets));
}

async function findDashboardFile(request: Request, assets: AssetsBinding): Promise<Response> {
  const response = await assets.fetch(request);
  if (response.status !== 404) return response;
  await response.body?.cancel();
  const url = new URL(request.url);
  if (isPageRoute(url.pathname)) return assets.fetch(new Request(new URL("/", url), request));
  return Response.json(errorBody("not_found", "no such route"), { status: 404 });
}
