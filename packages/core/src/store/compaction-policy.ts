/** The journal bounds below which a graph of any size is never compacted automatically. */
export const COMPACT_AFTER_BYTES_FLOOR = 64 * 1024 * 1024;
export const COMPACT_AFTER_RECORDS_FLOOR = 100_000;
/**
 * … and above which it always is. Open reads the journal whole (one buffer, every record parsed
 * before replay; Node reads at most 2 GiB at once), so the journal a large graph may collect is
 * capped: a replay that streamed its records would lift the cap.
 */
export const COMPACT_AFTER_BYTES_CAP = 256 * 1024 * 1024;
export const COMPACT_AFTER_RECORDS_CAP = 1_000_000;

const clamp = (value: number, floor: number, cap: number) => Math.min(cap, Math.max(floor, value));

/**
 * Whether the journal has grown enough to fold it into `graph.json`. Unless the options fix
 * them, both bounds grow with the graph between the floors and the caps: the journal may hold as
 * many bytes as `graph.json` and as many records as the graph has nodes and edges. A compaction
 * rewrites the whole graph, so with bounds proportional to it each change pays the same share of
 * compaction at any size up to the caps (with fixed bounds a graph ten times larger paid ten
 * times more per change), and replaying the journal on open costs at most about one more load.
 */
export function compactionDue(
  journal: { bytes: number; records: number },
  graph: { snapshotBytes: number; records: number },
  options: { compactAfterBytes?: number; compactAfterRecords?: number } = {},
): boolean {
  const bytes =
    options.compactAfterBytes ??
    clamp(graph.snapshotBytes, COMPACT_AFTER_BYTES_FLOOR, COMPACT_AFTER_BYTES_CAP);
  const records =
    options.compactAfterRecords ??
    clamp(graph.records, COMPACT_AFTER_RECORDS_FLOOR, COMPACT_AFTER_RECORDS_CAP);
  return journal.bytes >= bytes || journal.records >= records;
}
