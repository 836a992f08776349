/** An error answer of the API (`{"error":{"code","message","details"}}`) or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The route is not there (yet) or its capability is not configured: show "not available". */
  get unavailable(): boolean {
    return this.status === 404 || this.status === 501 || this.status === 503;
  }
}

/** zod issues in `details` (400 `validation_error`). */
export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

export function validationIssues(err: unknown): ValidationIssue[] {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return [];
  const issues: ValidationIssue[] = [];
  for (const item of err.details as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const { path, message } = item as { path?: unknown; message?: unknown };
    if (typeof message !== "string") continue;
    const parts = Array.isArray(path)
      ? path.filter((p): p is string | number => typeof p === "string" || typeof p === "number")
      : [];
    issues.push({ path: parts, message });
  }
  return issues;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError)
    return err.status > 0 ? `${err.message} (${err.status} ${err.code})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
