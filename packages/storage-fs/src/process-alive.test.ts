import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isProcessAlive, parseProcStatState, procState } from "./process-alive.ts";

describe("parseProcStatState", () => {
  it("reads the field after comm", () => {
    expect(parseProcStatState("4242 (node) S 1 4242 4242 0 -1 4194560 12\n")).toBe("S");
    expect(parseProcStatState("7 (kworker/0:1-events) I 2 0 0 0 -1 69238880")).toBe("I");
    expect(parseProcStatState("99 (node) Z 98 97 7269 0 -1 4227084")).toBe("Z");
  });

  it("takes the text after the LAST ')': comm may contain spaces, parentheses and fake fields", () => {
    // A process can name itself anything (prctl PR_SET_NAME, 15 bytes): here "x) R (y", whose
    // first ")" is followed by a fake running state while the process is a zombie.
    expect(parseProcStatState("4242 (x) R (y) Z 1 4242 4242")).toBe("Z");
    expect(parseProcStatState("4242 (a) Z (b) R 1 4242 4242")).toBe("R");
    expect(parseProcStatState("4242 (my server) D 1 2 3")).toBe("D");
    expect(parseProcStatState("4242 ((sd-pam)) S 1 2 3")).toBe("S");
    expect(parseProcStatState("4242 (evil)) X 1 2 3")).toBe("X");
    expect(parseProcStatState("4242 (two\nlines) T 1 2 3")).toBe("T");
  });

  it("is null for anything that is not a stat line", () => {
    for (const text of ["", "4242 node S 1", "4242 (node)", "4242 (node) 1 2", "4242 (node)S 1", ") S ("]) {
      expect(parseProcStatState(text), JSON.stringify(text)).toBeNull();
    }
  });
});

describe("isProcessAlive", () => {
  it("is true for this process and false for an exited one or a non-pid", async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ["-e", "process.exit(0)"], { stdio: "ignore" });
    await once(child, "exit"); // reaped by Node: the pid names nothing now
    expect(isProcessAlive(child.pid!)).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(isProcessAlive(pid), String(pid)).toBe(false);
  });

  it("reads this process's own state from /proc on Linux (running: it is reading)", () => {
    expect(procState(process.pid)).toBe(process.platform === "linux" ? "R" : null);
  });
});
