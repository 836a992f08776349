import type { ComponentChildren } from "preact";
import { ApiError, errorMessage } from "../api/api-error.ts";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div class="status status-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="status status-empty">{children}</div>;
}

/** An error with a retry button. 401s are left to the token dialog. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const unauthorized = error instanceof ApiError && error.status === 401;
  return (
    <div class="status status-error" role="alert">
      <span>{unauthorized ? "This server needs an API token." : errorMessage(error)}</span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** A feature whose route the server does not have (404) or has not configured (503). */
export function Unavailable({ what, error }: { what: string; error: unknown }) {
  const notConfigured =
    error instanceof ApiError && error.status === 503 ? error.message.replace(/\.$/, "") : null;
  return (
    <div class="status status-unavailable" data-testid="unavailable">
      <strong>{what} not available.</strong>{" "}
      {notConfigured !== null
        ? `The server has not configured it: ${notConfigured}.`
        : "This server does not offer it yet (the API answered 404)."}
    </div>
  );
}

/** Loading / error / unavailable / content, for a `useRequest` state. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.unavailable;
}
