import type { LiveStatus } from "./change-stream.ts";
import "./live.css";

const TEXT: Record<LiveStatus["state"], string> = {
  idle: "Connecting…",
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

function describeStatus(status: LiveStatus): string {
  switch (status.state) {
    case "idle":
    case "connecting":
      return "Live updates: connecting to the change feed";
    case "connected":
      return "Live updates: connected, changes appear as they are made";
    case "reconnecting":
      return `Live updates: reconnecting (${status.reason})`;
    case "offline":
      return `Live updates: offline (${status.reason})${status.retrying ? ", still retrying" : ""}`;
  }
}

/**
 * The header's live-connection indicator: a dot and a word, with the reason in the tooltip and
 * in the accessible name. `role="status"` makes screen readers announce a change (a drop, the
 * return) without moving focus; the dot is decoration, the text carries the meaning.
 */
export function LiveIndicator({ status }: { status: LiveStatus }) {
  const label = describeStatus(status);
  return (
    <span
      class={`live-indicator live-${status.state}`}
      role="status"
      aria-live="polite"
      aria-label={label}
      title={label}
      data-testid="live-indicator"
      data-state={status.state}
    >
      <span class="live-dot" aria-hidden="true" />
      {TEXT[status.state]}
    </span>
  );
}
