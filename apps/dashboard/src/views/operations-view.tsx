import { useState } from "preact/hooks";
import { ConfirmDialog, type ConfirmRequest } from "../ui/confirm-dialog.tsx";
import { IntegrityCard } from "./integrity-card.tsx";
import { BACKUPS, SnapshotsSection, VERSIONS } from "./snapshots-section.tsx";
import { StatsCard } from "./stats-card.tsx";

/** Graph statistics, integrity, backups and versions. */
export function OperationsView({ onGraphChanged }: { onGraphChanged: () => void }) {
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const changed = () => setRefreshKey((k) => k + 1);

  return (
    <section class="view" aria-labelledby="ops-title">
      <div class="view-header">
        <h2 id="ops-title">Operations</h2>
      </div>
      <div class="ops-grid">
        <StatsCard refreshKey={refreshKey} />
        <IntegrityCard refreshKey={refreshKey} />
        <SnapshotsSection
          kind={BACKUPS}
          confirm={setConfirm}
          onRestored={onGraphChanged}
          refreshKey={refreshKey}
          onChanged={changed}
        />
        <SnapshotsSection
          kind={VERSIONS}
          confirm={setConfirm}
          onRestored={onGraphChanged}
          refreshKey={refreshKey}
          onChanged={changed}
        />
      </div>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
