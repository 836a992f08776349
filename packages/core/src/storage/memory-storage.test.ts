import { describe, expect, it } from "vitest";
import { runStorageContract } from "../testing/storage-contract.ts";
import { ManualClock } from "../util/clock.ts";
import { bytesToText } from "./adapter.ts";
import { MemoryStorage } from "./memory-storage.ts";

runStorageContract("MemoryStorage", { create: () => new MemoryStorage() });

describe("MemoryStorage specifics", () => {
  it("appends into spare room without changing copies handed out earlier", async () => {
    const storage = new MemoryStorage();
    const log = await storage.openAppendLog("j.log");
    const expected: string[] = [];
    const copies: [Uint8Array, string][] = [];
    for (let i = 0; i < 200; i++) {
      await log.append(new TextEncoder().encode(`r${i}\n`));
      expected.push(`r${i}\n`);
      if (i % 17 === 0) {
        copies.push([(await storage.get("j.log"))!.body, expected.join("")]);
        await log.truncate(log.size - 3); // cut into the spare room, then write over it
        expected[expected.length - 1] = expected.at(-1)!.slice(0, -3);
      }
    }
    expect(bytesToText((await storage.get("j.log"))!.body)).toBe(expected.join(""));
    for (const [copy, text] of copies) expect(bytesToText(copy)).toBe(text);
  });

  it("lists modifiedMs from its clock, moved by every write", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    const storage = new MemoryStorage({ clock });
    await storage.put("a.json", "1");
    clock.advance(5_000);
    await storage.append("b.log", "x");
    expect((await storage.list("")).map((o) => [o.key, o.modifiedMs])).toEqual([
      ["a.json", Date.parse("2026-01-01T00:00:00.000Z")],
      ["b.log", Date.parse("2026-01-01T00:00:05.000Z")],
    ]);
  });
});
