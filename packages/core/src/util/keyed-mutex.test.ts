import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./mutex.ts";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe("KeyedMutex", () => {
  it("runs one key's tasks one at a time in call order, other keys alongside", async () => {
    const locks = new KeyedMutex();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      locks.run("a", task("a1")),
      locks.run("a", task("a2")),
      locks.run("b", task("b1")),
    ]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
  });

  it("keeps an entry only while a task is queued or running, also after failures", async () => {
    const locks = new KeyedMutex();
    let release = () => {};
    const held = locks.run("a", () => new Promise<void>((resolve) => (release = resolve)));
    const failing = locks.run("a", async () => {
      throw new Error("boom");
    });
    const other = locks.run("b", async () => "b");
    expect(locks.size).toBe(2);
    await other;
    expect(locks.size).toBe(1); // already gone when the awaited call returns
    release();
    await held;
    await expect(failing).rejects.toThrow("boom");
    expect(locks.size).toBe(0);
    // A failure does not block the key's next task.
    expect(await locks.run("a", async () => 1)).toBe(1);
    expect(locks.size).toBe(0);
  });
});
