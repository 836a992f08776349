import { MemoryStorage } from "@dawsos/core";
import { SqliteGraphStore } from "@dawsos/core/sqlite-store";
import { runGraphServiceContract } from "@dawsos/core/testing";
import { BetterSqliteDatabase } from "../support/better-sqlite3-database.ts";

// The same suite as GraphStore, against the Durable Object's engine on a
// real SQLite (better-sqlite3 standing in for `ctx.storage`); apps/worker runs it in workerd.
runGraphServiceContract("SqliteGraphStore over better-sqlite3", {
  async open(seed, clock) {
    const db = new BetterSqliteDatabase();
    const archive = new MemoryStorage();
    return {
      service: await SqliteGraphStore.open(db, { seed, clock, archive }),
      reopen: async () => SqliteGraphStore.open(db, { seed, clock, archive }),
      dispose: async () => db.close(),
    };
  },
});
