import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type GraphNode, GraphStore, type StoreEvent } from "@dawsos/core";
import { FsStorage } from "@dawsos/storage-fs";
import { afterEach, describe, expect, it } from "vitest";
import { CRASH_STORE_OPTIONS } from "./fixtures.ts";
import {
  ChildWriter,
  checkRound,
  findTempFiles,
  killAllChildren,
  makeTempDir,
  parseTranscript,
  randomInt,
  removeTempDirs,
  sleep,
} from "./harness.ts";

/** 50 in `pnpm test`; `STRESS_ROUNDS=200` in `pnpm test:stress`. */
const ROUNDS = roundsFromEnv();

function roundsFromEnv(): number {
  const raw = process.env.STRESS_ROUNDS;
  if (raw === undefined || raw === "") return 50;
  const rounds = Number(raw);
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`STRESS_ROUNDS=${raw} is not a count`);
  return rounds;
}

/** When to SIGKILL, once the child has acknowledged a few writes. */
interface KillPlan {
  name: string;
  /** Wait for this line first (null: kill after the delay alone). */
  trigger: ((line: string) => boolean) | null;
  /** Random delay before the kill, inclusive range. */
  delayMs: [number, number];
}

const PLANS: KillPlan[] = [
  { name: "random moment", trigger: null, delayMs: [20, 400] },
  { name: "right after backup-start", trigger: (l) => l === "backup-start", delayMs: [0, 4] },
  { name: "right after compact-start", trigger: (l) => l === "compact-start", delayMs: [0, 4] },
  { name: "while graph.json is written", trigger: (l) => l === "snapshot-write", delayMs: [0, 2] },
  {
    name: "around the journal reset",
    trigger: (l) => l === "journal-reset" || l.startsWith("compacted "),
    delayMs: [0, 1],
  },
  { name: "while a backup writes its manifest", trigger: (l) => l === "backup-manifest", delayMs: [0, 1] },
];

/** Acks to wait for before arming the kill. */
const MIN_ACKS = 3;
/** Acknowledged nodes of each round kept (and checked in every later round); the rest is deleted. */
const KEEP_PER_ROUND = 3;

/** Where the kill landed, from the child's own markers (its output is complete up to its death). */
function landedIn(lines: readonly string[]): { backup: boolean; compaction: boolean } {
  const last = (match: (line: string) => boolean) => lines.findLastIndex(match);
  const compacted = last((l) => l.startsWith("compacted "));
  return {
    backup: last((l) => l === "backup-start") > last((l) => l.startsWith("backup-done")),
    compaction:
      Math.max(
        last((l) => l === "snapshot-write"),
        last((l) => l === "journal-reset"),
      ) > compacted,
  };
}

describe("kill -9 of a writer process", () => {
  let store: GraphStore | undefined;
  let storage: FsStorage | undefined;

  afterEach(async () => {
    await killAllChildren();
    await store?.close().catch(() => undefined);
    await storage?.close().catch(() => undefined);
    store = undefined;
    storage = undefined;
    await removeTempDirs();
  });

  const title = `loses nothing acknowledged and invents nothing over ${ROUNDS} rounds (kills during writes, compactions and backups)`;
  it(title, { timeout: ROUNDS * 6_000 + 30_000 }, async () => {
    const dir = await makeTempDir("kill9");
    /** Nodes kept from earlier rounds: they must survive every later kill unchanged. */
    const survivors = new Map<string, GraphNode>();
    const stats = {
      duringBackup: 0,
      duringCompaction: 0,
      tempFilesLeft: 0,
      tornTails: 0,
      acked: 0,
      inFlight: 0,
      recovered: 0,
    };
    const started = Date.now();

    for (let round = 0; round < ROUNDS; round++) {
      const plan = PLANS[Math.floor(round / 2) % PLANS.length]!;
      const mode = round % 2 === 0 ? "put" : "batch";
      const tag = `r${round}`;
      const context = `round ${round} (${mode}, kill ${plan.name})`;

      // ---- run a writer and kill it
      const child = new ChildWriter(dir, mode, tag);
      const acked = await child.waitForAcks(MIN_ACKS, 20_000);
      expect(acked, `${context}: no acks from the child: ${child.describe()}`).toBe(true);
      if (plan.trigger) {
        // Not every round reaches its trigger in time; then it is a kill at a random moment.
        await child.waitForLine(plan.trigger, { from: child.lines.length, timeoutMs: 3_000 });
      }
      await sleep(randomInt(...plan.delayMs));
      const exit = await child.kill();
      expect(exit, `${context}: the child died on its own: ${child.describe()}`).toEqual({
        code: null,
        signal: "SIGKILL",
      });
      const where = landedIn(child.lines);
      if (where.backup) stats.duringBackup++;
      if (where.compaction) stats.duringCompaction++;

      // ---- the dead writer's lock is still there, and a locked open takes it over
      const leftLock = JSON.parse(await readFile(join(dir, ".lock"), "utf8")) as { pid: number };
      expect(leftLock.pid, context).toBe(child.pid);
      stats.tempFilesLeft += (await findTempFiles(dir)).length;
      storage = await FsStorage.open(dir, { lock: true });
      expect(storage.lockInfo?.pid, context).toBe(process.pid);
      expect(await findTempFiles(dir), `${context}: temp files after a locked open`).toEqual([]);

      const events: StoreEvent[] = [];
      store = await GraphStore.open(storage, { ...CRASH_STORE_OPTIONS, onEvent: (e) => events.push(e) });
      if (events.some((e) => e.type === "journal_tail_dropped")) stats.tornTails++;
      expect(store.recovery, `${context}: a kill caused damage`).toBeNull();
      const report = await store.verify();
      expect(
        report.files.filter((f) => !f.ok),
        `${context}: verify() after the kill`,
      ).toEqual([]);
      expect(report.ok, context).toBe(true);

      // ---- acknowledged ⊆ recovered ⊆ acknowledged ∪ in-flight
      const recovered = new Map<string, GraphNode>();
      for (const node of store.graph.nodes()) if (node.id.startsWith(`${tag}-`)) recovered.set(node.id, node);
      const transcript = parseTranscript(child.lines);
      const check = checkRound(transcript, recovered);
      expect(check.problems, context).toEqual([]);
      expect(check.acked, context).toBeGreaterThanOrEqual(MIN_ACKS);
      stats.acked += check.acked;
      stats.inFlight += check.inFlight;
      stats.recovered += check.recovered;
      for (const [id, node] of survivors) {
        expect(store.graph.getNode(id), `${context}: a node kept from an earlier round`).toEqual(node);
      }

      // ---- keep a few nodes of this round, delete the rest (bounds the graph for the next rounds)
      const keep = [...transcript.acked].sort(() => Math.random() - 0.5).slice(0, KEEP_PER_ROUND);
      for (const id of keep) survivors.set(id, recovered.get(id)!);
      const drop = [...recovered.keys()].filter((id) => !keep.includes(id));
      if (drop.length > 0) await store.applyBatch(drop.map((id) => ({ op: "delete_node" as const, id })));
      await store.close();
      await storage.close();
      store = undefined;
      storage = undefined;
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `[kill9] ${ROUNDS} rounds in ${seconds} s: killed during a backup ${stats.duringBackup}×, during a ` +
        `compaction ${stats.duringCompaction}×; temp files left by the dead writer ${stats.tempFilesLeft} ` +
        `(all removed by the locked open); torn journal tails ${stats.tornTails}; ` +
        `${stats.acked} acknowledged, ${stats.inFlight} in flight, ${stats.recovered} recovered`,
    );
    // The point of the aimed kills: some must really land inside a backup and a compaction.
    if (ROUNDS >= PLANS.length * 2) {
      expect(stats.duringBackup, "kills that landed inside a backup").toBeGreaterThan(0);
      expect(stats.duringCompaction, "kills that landed inside a compaction").toBeGreaterThan(0);
    }
  });
});

describe("the kill -9 checker", () => {
  const node = (id: string, i: number, type = "k"): GraphNode =>
    ({ id, type, data: { i, pad: "xx" }, created_at: "c", updated_at: "u" }) as GraphNode;
  const lines = [
    "start t-w0-0",
    "ack t-w0-0",
    "start t-w1-0",
    "start t-w2-0-0 t-w2-0-1 t-w2-0-2",
    "ack t-w2-0-0 t-w2-0-1 t-w2-0-2",
    "start t-w3-0-0 t-w3-0-1 t-w3-0-2",
  ];
  const good = [node("t-w0-0", 0), node("t-w2-0-0", 0), node("t-w2-0-1", 0), node("t-w2-0-2", 0)];
  const run = (nodes: GraphNode[], text = lines) =>
    checkRound(parseTranscript(text), new Map(nodes.map((n) => [n.id, n]))).problems;

  it("accepts a recovery between the acknowledged and the started sets", () => {
    expect(run(good)).toEqual([]);
    expect(run([...good, node("t-w1-0", 0)])).toEqual([]);
    expect(run([...good, node("t-w3-0-0", 0), node("t-w3-0-1", 0), node("t-w3-0-2", 0)])).toEqual([]);
  });

  it("reports a lost acknowledgement, a phantom id, wrong content, a torn batch and a bad transcript", () => {
    expect(run(good.slice(1))).toEqual(["acknowledged but lost: t-w0-0"]);
    expect(run([...good, node("t-w9-0", 0)])).toEqual(["recovered but never started: t-w9-0"]);
    expect(run([node("t-w0-0", 1), ...good.slice(1)])[0]).toMatch(
      /^recovered with the wrong content: t-w0-0/,
    );
    expect(run([node("t-w0-0", 0, "other"), ...good.slice(1)])[0]).toMatch(/wrong content/);
    expect(run([...good, node("t-w3-0-1", 0)])).toEqual([
      "batch recovered in part (1/3): t-w3-0-0 t-w3-0-1 t-w3-0-2",
    ]);
    expect(run(good, ["ack t-w0-0", ...lines])).toEqual(["ack before start: ack t-w0-0"]);
  });
});
