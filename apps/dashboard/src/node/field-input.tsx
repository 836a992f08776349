import type { FieldDraft } from "./data-fields.ts";

/** One `data` field's input: a select for booleans, a textarea for JSON and long text. */
export function FieldInput({
  id,
  draft,
  invalid,
  onText,
}: {
  id: string;
  draft: FieldDraft;
  invalid: boolean;
  onText: (text: string) => void;
}) {
  const common = {
    id,
    disabled: draft.removed,
    "aria-invalid": invalid,
    "aria-describedby": invalid ? `${id}-error` : undefined,
    "data-testid": id,
  };
  if (draft.kind === "boolean") {
    return (
      <select {...common} value={draft.text} onChange={(e) => onText(e.currentTarget.value)}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  if (draft.kind === "json" || (draft.kind === "string" && draft.text.length > 60)) {
    return (
      <textarea
        {...common}
        rows={Math.min(8, draft.text.split("\n").length + 1)}
        value={draft.text}
        spellcheck={draft.kind === "string"}
        onInput={(e) => onText(e.currentTarget.value)}
      />
    );
  }
  return (
    <input
      {...common}
      type="text"
      inputMode={draft.kind === "number" ? "decimal" : undefined}
      value={draft.text}
      onInput={(e) => onText(e.currentTarget.value)}
    />
  );
}
