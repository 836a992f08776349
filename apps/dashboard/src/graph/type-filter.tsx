import { formatCount } from "../util/format.ts";

/** One checkbox per node type, with its colour and count; hidden types are not drawn. */
export function TypeFilter({
  typeCounts,
  colors,
  hidden,
  onChange,
}: {
  typeCounts: Map<string, number>;
  colors: Map<string, string>;
  hidden: ReadonlySet<string>;
  onChange: (hidden: Set<string>) => void;
}) {
  const toggle = (type: string) => {
    const next = new Set(hidden);
    if (next.has(type)) next.delete(type);
    else next.add(type);
    onChange(next);
  };
  return (
    <fieldset class="type-filter" data-testid="type-filter">
      <legend>Node types</legend>
      <div class="type-filter-actions">
        <button type="button" class="link" onClick={() => onChange(new Set())}>
          All
        </button>
        <button type="button" class="link" onClick={() => onChange(new Set(typeCounts.keys()))}>
          None
        </button>
      </div>
      <ul>
        {[...typeCounts.entries()].map(([type, count]) => (
          <li key={type}>
            <label>
              <input type="checkbox" checked={!hidden.has(type)} onChange={() => toggle(type)} />
              <span class="swatch" style={{ background: colors.get(type) }} aria-hidden="true" />
              <span class="type-name">{type}</span>
              <span class="muted">{formatCount(count)}</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
