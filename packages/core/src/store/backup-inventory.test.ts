import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../storage/memory-storage.ts";
import { backupInventory } from "./backup-inventory.ts";

const manifest = (id: string) =>
  JSON.stringify({
    id,
    created: "2026-01-01T12:00:00.000Z",
    seq: 3,
    files: [{ name: "graph.json", size: 2, checksum: "x" }],
  });

describe("backupInventory", () => {
  it("lists complete, damaged and incomplete backups newest first, and skips directories that are not backups", async () => {
    const storage = new MemoryStorage();
    await storage.put("backups/20260101_120000/manifest.json", manifest("20260101_120000"));
    await storage.put("backups/20260101_120000/graph.json", "{}");
    await storage.put("backups/20260102_120000/manifest.json", "{nope");
    await storage.put("backups/20260102_120000-1/manifest.json", JSON.stringify({ id: "x" }));
    await storage.put("backups/20260103_120000/graph.json", "{}");
    await storage.put("backups/not-a-backup/manifest.json", "{}");

    const entries = await backupInventory(storage);
    expect(entries.map((e) => [e.id, e.status])).toEqual([
      ["20260103_120000", "incomplete"],
      ["20260102_120000-1", "damaged"],
      ["20260102_120000", "damaged"],
      ["20260101_120000", "ok"],
    ]);
    const damaged = entries.filter((e) => e.status === "damaged");
    expect(damaged.map((e) => e.error.code)).toEqual(["invalid_document", "malformed_json"]);
    expect(damaged[1]!.error.message).toContain("backups/20260102_120000/manifest.json");
    const ok = entries.find((e) => e.status === "ok");
    expect(ok?.status === "ok" && ok.manifest.seq).toBe(3);
  });

  it("is empty for a storage without backups", async () => {
    expect(await backupInventory(new MemoryStorage())).toEqual([]);
  });
});
