import type { Health } from "../api/types.ts";
import type { RequestState } from "../hooks/use-request.ts";
import { formatCount } from "../util/format.ts";

/** The header's right side: what `/health` says, and "Forget token" when one is kept. */
export function ServerInfo({
  health,
  hasToken,
  onForgetToken,
}: {
  health: RequestState<Health>;
  hasToken: boolean;
  onForgetToken: () => void;
}) {
  const h = health.data;
  return (
    <div class="server-info" data-testid="server-info">
      {h ? (
        <span title={`storage: ${h.storage}, seq ${h.graph.seq}`}>
          v{h.version} · {h.storage} · {formatCount(h.graph.nodes)} nodes · seq {formatCount(h.graph.seq)}
        </span>
      ) : health.status === "error" ? (
        <span class="field-error">server unreachable</span>
      ) : null}
      {hasToken && (
        <button type="button" class="link" onClick={onForgetToken}>
          Forget token
        </button>
      )}
    </div>
  );
}
