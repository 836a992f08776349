/**
 * Issue 10, item 7: a restart right after the process tree was killed was refused with
 * `lock_held`, because the killed server was still an unreaped zombie (`ps` state Z) when the
 * new one looked at its lock, and `kill(pid, 0)` succeeds on a zombie. Here the first server's
 * parent never reaps it, so it stays a zombie for the whole restart.
 *
 * Linux only: the zombie is recognised through /proc (elsewhere the lock falls back to
 * `kill(pid, 0)` and its wait bound, and this scenario has no /proc state to assert on).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { http, makeTempDir, spawnServerUnreaped, startServer } from "../support/processes.ts";
import { useServerProcesses } from "../support/server-suite.ts";

useServerProcesses();

/** The state letter in /proc/<pid>/stat: the field after the last ")" (comm may contain one). */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat
      .slice(stat.lastIndexOf(")") + 1)
      .trim()
      .split(" ")[0];
  } catch {
    return undefined;
  }
}

describe.runIf(process.platform === "linux")("restart after SIGKILL while the server is a zombie", () => {
  it("the new server takes the lock over at once, without lock_held and without waiting", async () => {
    const dir = await makeTempDir("dawsos-zombie-");
    const parent = spawnServerUnreaped({ storageDir: dir });
    const listening = await parent.waitForJsonLine((l) => l.event === "listening", 20_000);
    const pid = Number(listening.pid);
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(parent.pid);
    const url = `http://127.0.0.1:${new URL(String(listening.url)).port}`;
    const put = await http(url, "PUT", "/api/nodes/before_kill", { body: { type: "t", data: { n: 1 } } });
    expect(put.status).toBe(201);

    process.kill(pid, "SIGKILL");
    let state = procState(pid);
    for (const started = Date.now(); state !== "Z" && Date.now() - started < 10_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = procState(pid);
    }
    expect(state, "the killed server should be an unreaped zombie").toBe("Z");
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(pid);

    // Default DAWSOS_LOCK_WAIT_MS (10 s): a zombie is dead, so there is nothing to wait for.
    const second = await startServer({ storageDir: dir });
    expect(second.stderr()).not.toMatch(/lock_held|"event":"lock_wait"/);
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(second.pid);
    expect(procState(pid), "still a zombie: the lock was not outlived").toBe("Z");

    const got = await http(second.url, "GET", "/api/nodes/before_kill");
    expect(got.status).toBe(200);
    expect((got.json as { data: unknown }).data).toEqual({ n: 1 });

    second.child.kill("SIGTERM");
    expect((await second.waitForExit(10_000)).code).toBe(0);
  });
});
