import type { JsonObject, JsonValue } from "../api/types.ts";

/** How a `data` field is edited: numbers, strings and booleans get plain inputs, the rest JSON. */
export type FieldKind = "number" | "string" | "boolean" | "json";

export interface FieldDraft {
  key: string;
  kind: FieldKind;
  original: JsonValue | undefined;
  text: string;
  removed: boolean;
}

export function kindOf(value: JsonValue): FieldKind {
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  return "json";
}

/** A value as its field shows it. */
export function textOf(value: JsonValue): string {
  const kind = kindOf(value);
  return kind === "string" ? (value as string) : JSON.stringify(value, null, kind === "json" ? 2 : 0);
}

export function toDrafts(data: JsonObject): FieldDraft[] {
  return Object.keys(data)
    .sort()
    .map((key) => {
      const value = data[key] as JsonValue;
      return { key, kind: kindOf(value), original: value, text: textOf(value), removed: false };
    });
}

/** Whether anything was typed, added or removed: then a live change must not replace the fields. */
export function hasEdits(drafts: readonly FieldDraft[]): boolean {
  return drafts.some((d) => d.removed || d.original === undefined || d.text !== textOf(d.original));
}

/** The keys whose values differ between two versions of `data`, sorted. */
export function changedKeys(before: JsonObject, after: JsonObject): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** The field's value, or an error message to show beside it. */
export function parseDraft(
  draft: Pick<FieldDraft, "kind" | "text">,
): { value: JsonValue } | { error: string } {
  const text = draft.text;
  switch (draft.kind) {
    case "string":
      return { value: text };
    case "boolean":
      return text === "true"
        ? { value: true }
        : text === "false"
          ? { value: false }
          : { error: "true or false" };
    case "number": {
      const trimmed = text.trim();
      const n = Number(trimmed);
      if (trimmed === "" || !Number.isFinite(n)) return { error: "must be a number" };
      return { value: n };
    }
    case "json":
      try {
        return { value: JSON.parse(text) as JsonValue };
      } catch {
        return { error: "must be valid JSON" };
      }
  }
}

/** A value typed into "add field": JSON when it parses (`3.1`, `true`, `[1]`), a string otherwise. */
export function parseLoose(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function keyError(key: string, existing: readonly string[]): string | null {
  if (key.trim() === "") return "a field needs a name";
  if (key.length > 256) return "at most 256 characters";
  if (FORBIDDEN_KEYS.has(key)) return "this name is reserved";
  if (existing.includes(key)) return "this field already exists";
  return null;
}

function sameJson(a: JsonValue | undefined, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The JSON merge patch for `PATCH /api/nodes/:id` (changed fields, `null` for removed ones), or
 * the per-field errors that stop it being sent.
 */
export function buildPatch(drafts: readonly FieldDraft[]): {
  patch: JsonObject;
  errors: Record<string, string>;
} {
  const patch: JsonObject = {};
  const errors: Record<string, string> = {};
  for (const draft of drafts) {
    if (draft.removed) {
      if (draft.original !== undefined) patch[draft.key] = null;
      continue;
    }
    const parsed = parseDraft(draft);
    if ("error" in parsed) errors[draft.key] = parsed.error;
    else if (draft.original === undefined || !sameJson(draft.original, parsed.value)) {
      if (parsed.value === null) errors[draft.key] = "null removes a field: use Remove instead";
      else patch[draft.key] = parsed.value;
    }
  }
  return { patch, errors };
}
