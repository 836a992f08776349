/** Node colours by type: fixed for the seed's types, a palette (by frequency) for the rest. */
const KNOWN: Record<string, string> = {
  regime: "#e11d48",
  indicator: "#2563eb",
  sector: "#16a34a",
  stock: "#f59e0b",
  index: "#9333ea",
  sentiment: "#0891b2",
  signal: "#db2777",
  economic_indicator: "#2563eb",
  indicator_value: "#93c5fd",
  company: "#f59e0b",
};

const PALETTE = [
  "#0ea5e9",
  "#84cc16",
  "#f97316",
  "#8b5cf6",
  "#14b8a6",
  "#eab308",
  "#ec4899",
  "#64748b",
  "#22c55e",
  "#a855f7",
  "#ef4444",
  "#06b6d4",
  "#a16207",
  "#4f46e5",
];

/** Type → colour for the types of one graph, given their node counts. */
export function typeColors(counts: Map<string, number>): Map<string, string> {
  const colors = new Map<string, string>();
  const used = new Set<string>();
  for (const type of counts.keys()) {
    const known = KNOWN[type];
    if (known) {
      colors.set(type, known);
      used.add(known);
    }
  }
  const free = PALETTE.filter((c) => !used.has(c));
  const rest = [...counts.entries()]
    .filter(([t]) => !colors.has(t))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  rest.forEach(([type], i) => {
    colors.set(type, free[i % free.length] ?? "#64748b");
  });
  return colors;
}
