/**
 * How much of the change feed is kept (the journal's tail after compaction, the Worker's
 * changes table): at most `maxRecords` commit records, none older than `maxAgeMs`. A client
 * asking for older changes gets 410 `gone` and reloads the graph.
 */
export interface ChangeRetention {
  maxRecords: number;
  maxAgeMs: number;
}

export const DEFAULT_CHANGE_RETENTION: ChangeRetention = {
  maxRecords: 10_000,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
};

export function changeRetention(partial: Partial<ChangeRetention> = {}): ChangeRetention {
  return {
    maxRecords: Math.max(0, Math.floor(partial.maxRecords ?? DEFAULT_CHANGE_RETENTION.maxRecords)),
    maxAgeMs: Math.max(0, partial.maxAgeMs ?? DEFAULT_CHANGE_RETENTION.maxAgeMs),
  };
}
