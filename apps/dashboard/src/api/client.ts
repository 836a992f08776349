import { ApiError } from "./api-error.ts";
import { readToken } from "./token-store.ts";

/** What a successful call returns: the parsed body and the `ETag`, if any. */
export interface ApiResponse<T> {
  data: T;
  etag: string | null;
  status: number;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called whenever the API answers 401: the app then asks for a token. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Tells every listener the API answered 401 (also for the change feed, which has its own `fetch`). */
export function notifyUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

/** The `Authorization` header for the kept token, if there is one. */
export function authHeaders(): Record<string, string> {
  const token = readToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/**
 * One call to the API on the origin the page came from. Errors become `ApiError` with the
 * envelope's code and message; a network failure is status 0.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    ...options.headers,
    ...authHeaders(),
  };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? "GET", headers, body, signal: options.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "cannot reach the DawsOS server");
  }
  if (response.status === 401) notifyUnauthorized();
  const text = await response.text();
  let parsed: unknown = null;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (response.ok)
        throw new ApiError(response.status, "bad_response", "the server answered with non-JSON");
    }
  }
  if (!response.ok) throw toApiError(response.status, parsed);
  return { data: parsed as T, etag: response.headers.get("ETag"), status: response.status };
}

/** GET and return the body only. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { signal })).data;
}

function toApiError(status: number, body: unknown): ApiError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  if (envelope && typeof envelope.code === "string") {
    const message = typeof envelope.message === "string" ? envelope.message : envelope.code;
    return new ApiError(status, envelope.code, message, envelope.details);
  }
  return new ApiError(status, `http_${status}`, `the server answered ${status}`);
}

/** `encodeURIComponent` for one path segment. */
export const seg = encodeURIComponent;
