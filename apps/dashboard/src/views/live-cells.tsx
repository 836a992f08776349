import { errorMessage } from "../api/api-error.ts";
import type { LiveValue } from "../hooks/use-live-values.ts";
import { FreshnessBadge } from "./live-badges.tsx";

export function withUnit(value: string, unit: string | null): string {
  if (!unit || value === "—") return value;
  return unit === "%" ? `${value}%` : `${value} ${unit}`;
}

/** Two value cells and a freshness badge for one live value. */
export function LiveCells<T extends { cached: boolean; stale: boolean; fetched_at: string }>({
  live,
  render,
}: {
  live: LiveValue<T> | undefined;
  render: (value: T) => [string, string, T];
}) {
  if (!live)
    return (
      <td colSpan={3} class="muted">
        —
      </td>
    );
  if (live.status === "loading")
    return (
      <td colSpan={3} class="muted">
        loading…
      </td>
    );
  if (live.status === "error") {
    return (
      <td colSpan={3} class="field-error">
        {errorMessage(live.error)}
      </td>
    );
  }
  const [first, second, value] = render(live.value);
  return (
    <>
      <td>{first}</td>
      <td>{second}</td>
      <td>
        <FreshnessBadge cached={value.cached} stale={value.stale} fetchedAt={value.fetched_at} />
      </td>
    </>
  );
}
