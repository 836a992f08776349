/** The journal bound below which a graph of any size is never compacted automatically. */
export const COMPACT_AFTER_BYTES_FLOOR = 64 * 1024 * 1024;
export const COMPACT_AFTER_RECORDS_FLOOR = 100_000;

/**
 * Whether the journal has grown enough to fold it into `graph.json`. Unless the options fix
 * them, both bounds grow with the graph: past the floors, the journal may hold as many bytes as
 * `graph.json` and as many records as the graph has nodes and edges. A compaction rewrites the
 * whole graph, so with bounds proportional to it each change pays the same share of compaction
 * at any size (with fixed bounds a graph ten times larger paid ten times more per change), and
 * replaying the journal on open costs at most about one more load of the graph.
 */
export function compactionDue(
  journal: { bytes: number; records: number },
  graph: { snapshotBytes: number; records: number },
  options: { compactAfterBytes?: number; compactAfterRecords?: number } = {},
): boolean {
  const bytes = options.compactAfterBytes ?? Math.max(COMPACT_AFTER_BYTES_FLOOR, graph.snapshotBytes);
  const records = options.compactAfterRecords ?? Math.max(COMPACT_AFTER_RECORDS_FLOOR, graph.records);
  return journal.bytes >= bytes || journal.records >= records;
}
