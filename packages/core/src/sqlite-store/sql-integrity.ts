import type { FileCheck } from "../store/verify-storage.ts";
import type { SqlExec } from "./sql-database.ts";
import { fromKey } from "./sql-keys.ts";
import type { GraphTables } from "./sql-schema.ts";

/** The key the tables' check is reported under in `verify()`. */
export const TABLES_CHECK_KEY = "sqlite:graph";

/**
 * Checks what the tables promise beyond SQLite's own constraints: every edge names existing
 * nodes, and the per-type counts `stats()` reads agree with the rows. A full scan of both
 * tables (an admin operation, like `dawsos verify`).
 */
export function checkTables(sql: SqlExec, t: GraphTables): FileCheck {
  const dangling = sql
    .exec<{ id: ArrayBuffer }>(
      `SELECT e.id FROM ${t.edges} e WHERE NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.id = e.src)
         OR NOT EXISTS (SELECT 1 FROM ${t.nodes} n WHERE n.id = e.dst) LIMIT 1`,
    )
    .toArray()[0];
  if (dangling) {
    return fail(`edge ${JSON.stringify(fromKey(dangling.id))} names a node that does not exist`);
  }
  for (const [kind, table] of [
    ["node", t.nodes],
    ["edge", t.edges],
  ] as const) {
    const mismatch = sql
      .exec<{ type: ArrayBuffer }>(
        `SELECT type FROM (SELECT type, COUNT(*) AS n FROM ${table} GROUP BY type) actual
           FULL OUTER JOIN (SELECT type, n FROM ${t.counts} WHERE kind = ? AND n > 0) kept USING (type)
         WHERE actual.n IS NOT kept.n LIMIT 1`,
        kind,
      )
      .toArray()[0];
    if (mismatch) return fail(`the ${kind} count of type ${JSON.stringify(fromKey(mismatch.type))} is wrong`);
  }
  return { key: TABLES_CHECK_KEY, ok: true };
}

function fail(message: string): FileCheck {
  return { key: TABLES_CHECK_KEY, ok: false, error: { code: "integrity_error", message } };
}
