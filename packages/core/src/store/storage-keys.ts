/** Storage keys of the layout in SPEC section 3. */
export const GRAPH_KEY = "graph.json";
export const JOURNAL_KEY = "graph.journal";
export const SEED_KEY = "seeded_graph.json";
export const HISTORY_KEY = "workflow_history.json";
export const BACKUPS_PREFIX = "backups/";
export const MANIFEST_NAME = "manifest.json";

const VERSION_KEY = /^graph_(\d{8}_\d{6}(?:-\d+)?)\.json$/;

export const versionKey = (id: string) => `graph_${id}.json`;
export const backupPrefix = (id: string) => `${BACKUPS_PREFIX}${id}/`;

/** The version id of a key such as `graph_20250101_120000.json`, or `null`. */
export function versionIdOf(key: string): string | null {
  return VERSION_KEY.exec(key)?.[1] ?? null;
}

/** Top-level `*.json` files (not versions) that a backup copies besides the graph snapshot. */
export function isBackedUpFile(key: string): boolean {
  return !key.includes("/") && key.endsWith(".json") && key !== GRAPH_KEY && versionIdOf(key) === null;
}
