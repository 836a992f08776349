import { TABS, type TabId } from "../hash-route.ts";

/** WAI-ARIA tabs: Left/Right/Home/End move between tabs, the active one is the only tab stop. */
export function TabBar({ active, onSelect }: { active: TabId; onSelect: (tab: TabId) => void }) {
  const move = (delta: number | "first" | "last") => {
    const index = TABS.findIndex((t) => t.id === active);
    const next =
      delta === "first"
        ? 0
        : delta === "last"
          ? TABS.length - 1
          : (index + delta + TABS.length) % TABS.length;
    const tab = TABS[next];
    if (!tab) return;
    onSelect(tab.id);
    document.getElementById(`tab-${tab.id}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label="Views">
      {TABS.map((tab) => (
        <button
          key={tab.id}
          id={`tab-${tab.id}`}
          type="button"
          role="tab"
          aria-selected={tab.id === active}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === active ? 0 : -1}
          onClick={() => onSelect(tab.id)}
          onKeyDown={(e) => {
            if (e.key === "ArrowRight") move(1);
            else if (e.key === "ArrowLeft") move(-1);
            else if (e.key === "Home") move("first");
            else if (e.key === "End") move("last");
            else return;
            e.preventDefault();
          }}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
