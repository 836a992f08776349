import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import {
  type GraphEdge,
  type GraphNode,
  KnowledgeGraphReader,
  ManualClock,
  MemoryStorage,
  type Page,
  type Session,
  SessionStore,
  type StorageAdapter,
  WorkflowHistory,
  type WorkflowRun,
} from "@dawsos/core";
import { SqliteGraphStore, SqlSessionStore, SqlWorkflowHistory } from "@dawsos/core/sqlite-store";
import {
  BUCKET_GRAPH_STORE_OBJECTS,
  BucketLayoutWriter,
  HOSTILE_DATA,
  LEGACY_COMPACT_AFTER,
  LEGACY_SCENARIO_START,
  LEGACY_SEED,
  LONE_SURROGATE_ID,
  RecordingStorage,
  ROCKET_ID,
  runLegacyScenario,
} from "@dawsos/core/testing";
import { R2Storage } from "@dawsos/storage-kv";
import { describe, expect, it } from "vitest";
import { BUCKET_MIGRATION, migrateFromBucket } from "../src/bucket-migration.ts";
import type { DurableObjectStateLike, DurableObjectStubLike } from "../src/env.ts";
import { uniquePrefix } from "./support.ts";

const namespace = env.GRAPH_OBJECT;
const newObject = (): DurableObjectStubLike => namespace.get(namespace.idFromName(crypto.randomUUID()));
const bucketAt = (prefix: string) => new R2Storage(env.GRAPH_BUCKET, { prefix });

/**
 * A bucket as the Worker left it before issue 12, under `prefix`: the graph history of
 * `runLegacyScenario` (hostile ids and values, a batch, deletions) in the R2 store's layout —
 * written by `BucketLayoutWriter`, which writes the very bytes the store wrote (a core test holds
 * it to objects the store itself produced), compacted so the head names a snapshot past the
 * seed and a journal after it — plus workflow runs by `WorkflowHistory` and sessions with
 * messages by `SessionStore`, the classes the Worker used over R2.
 */
async function writeLegacyBucket(prefix: string) {
  const bucket = bucketAt(prefix);
  const clock = new ManualClock(LEGACY_SCENARIO_START);
  const writer = await BucketLayoutWriter.create(bucket, {
    seed: LEGACY_SEED,
    clock,
    compactAfterRecords: 4,
  });
  await runLegacyScenario(writer, clock);
  const history = new WorkflowHistory(bucket);
  const runs: WorkflowRun[] = [];
  for (let i = 0; i < 5; i++) {
    const run = {
      id: `run_${i}`,
      workflow: i % 2 ? "morning_briefing" : "régime_check",
      timestamp: `2026-02-03T05:0${i}:00.000Z`,
      status: "completed",
      steps: [{ agent: "a", action: "b", result: { i, s: ROCKET_ID } }],
      extra_field: { kept: i },
    } as WorkflowRun;
    runs.push(run);
    await history.append(run);
  }
  // A record as the Python DawsOS wrote it (no id, no status).
  const python = { workflow: "legacy", timestamp: "2024-12-20T10:00:00", steps: [] } as WorkflowRun;
  runs.push(python);
  await history.append(python);
  const sessions = new SessionStore(bucket, { clock });
  const made: Session[] = [];
  for (let i = 0; i < 3; i++) {
    const session = await sessions.create();
    clock.advance(1000);
    for (let m = 0; m < i * 2; m++) {
      await sessions.addMessage(session.id, {
        role: m % 2 ? "assistant" : "user",
        content: `${i}/${m} ${ROCKET_ID} ${LONE_SURROGATE_ID}`,
      });
      clock.advance(1000);
    }
    made.push(await sessions.get(session.id));
  }
  return { bucket, clock, writer, runs, sessions: made };
}

async function allPages<T>(page: (cursor?: string) => Promise<Page<T>>) {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const got = await page(cursor);
    out.push(...got.items);
    cursor = got.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Everything the object holds after a migration, read inside it. */
async function migrateIn(
  stub: DurableObjectStubLike,
  bucket: StorageAdapter,
  sessionIds: readonly string[] = [],
  clock = new ManualClock("2026-03-01T00:00:00.000Z"),
) {
  return runInDurableObject(stub, async (_object: unknown, state: DurableObjectStateLike) => {
    const logged: Record<string, unknown>[] = [];
    const history = new SqlWorkflowHistory(state.storage);
    const sessions = new SqlSessionStore(state.storage, { clock });
    const { store, report } = await migrateFromBucket({
      bucket,
      db: state.storage,
      store: { archive: bucketAt(uniquePrefix("archive")), seed: LEGACY_SEED, clock },
      history,
      sessions,
      log: (entry) => logged.push(entry),
    });
    let text = "";
    for await (const chunk of store.document()) text += chunk;
    return {
      report,
      logged,
      counts: await store.counts(),
      nodes: await allPages<GraphNode>((cursor) => store.listNodes({ limit: 2, cursor })),
      edges: await allPages<GraphEdge>((cursor) => store.listEdges({ limit: 2, cursor })),
      patterns: await store.patterns(),
      text,
      runs: await history.all(),
      sessions: await Promise.all(sessionIds.map((id) => sessions.get(id).catch(() => null))),
      marker: state.storage.sql
        .exec<{ progress: string }>("SELECT progress FROM migrations WHERE name = ?", BUCKET_MIGRATION)
        .toArray()
        .map((row) => JSON.parse(row.progress) as { state: string }),
    };
  });
}

async function documentOf(reader: KnowledgeGraphReader): Promise<string> {
  let text = "";
  for await (const chunk of reader.document()) text += chunk;
  return text;
}

const byId = <T extends { id: string }>(items: Iterable<T>) => new Map([...items].map((i) => [i.id, i]));

describe("migrateFromBucket (R2 layout of BucketGraphStore → GraphObject's SQLite)", () => {
  it("brings every node, edge, pattern, the seq, every workflow run and every session over, once", async () => {
    const legacy = await writeLegacyBucket(uniquePrefix("migrate"));
    expect(legacy.writer.head.journal.length).toBeGreaterThan(0); // the journal is replayed, not just the snapshot
    expect(legacy.writer.head.snapshot.seq).toBeGreaterThan(0); // and the snapshot is not the seed
    const expected = legacy.writer.graph;
    const ids = legacy.sessions.map((s) => s.id);
    const stub = newObject();
    const got = await migrateIn(stub, legacy.bucket, ids);

    expect(got.counts).toEqual({
      nodes: expected.nodeCount,
      edges: expected.edgeCount,
      patterns: expected.patternCount,
      seq: expected.seq,
    });
    expect(byId(got.nodes)).toEqual(byId(expected.nodes()));
    expect(got.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining([ROCKET_ID, LONE_SURROGATE_ID, "__proto__", "constructor"]),
    );
    expect(got.nodes.find((n) => n.id === ROCKET_ID)?.data).toEqual({ ...HOSTILE_DATA, price: 255.53 });
    expect(got.nodes.some((n) => n.id === "DOOMED")).toBe(false);
    expect(byId(got.edges)).toEqual(byId(expected.edges()));
    expect(got.patterns).toEqual([...expected.patterns()]);
    // The whole document, byte for byte: what the Worker served is what the object serves.
    expect(got.text).toBe(await documentOf(new KnowledgeGraphReader(expected)));

    expect(got.runs).toEqual(legacy.runs);
    expect(got.sessions).toEqual(legacy.sessions);
    expect(got.sessions.map((s) => s?.chat_history.length)).toEqual([0, 2, 4]);

    const report = {
      event: "migrated_from_r2",
      nodes: expected.nodeCount,
      edges: expected.edgeCount,
      patterns: expected.patternCount,
      seq: expected.seq,
      records: legacy.writer.head.journal.length,
      history: legacy.runs.length,
      sessions: 3,
      damaged: [],
    };
    expect(got.report).toEqual(report);
    expect(got.logged).toEqual([report]);
    expect(got.marker).toMatchObject([{ state: "done" }]);

    // A second start does nothing, even with more in the bucket.
    await legacy.writer.putNode("LATE", { type: "t" });
    await new WorkflowHistory(legacy.bucket).append({ workflow: "late", timestamp: "x", steps: [] });
    const late = await new SessionStore(legacy.bucket).create();
    const again = await migrateIn(stub, legacy.bucket, [...ids, late.id]);
    expect(again.report).toBeNull();
    expect(again.logged).toEqual([]);
    expect(again.counts).toEqual(got.counts);
    expect(again.text).toBe(got.text);
    expect(again.runs).toEqual(legacy.runs);
    expect(again.sessions).toEqual([...legacy.sessions, null]);
  });

  it("a bucket holding the very objects BucketGraphStore wrote (captured before its removal) migrates exactly", async () => {
    const bucket = bucketAt(uniquePrefix("fixture"));
    for (const [key, text] of Object.entries(BUCKET_GRAPH_STORE_OBJECTS)) await bucket.put(key, text);
    // The same history replayed in memory: the graph that store served.
    const clock = new ManualClock(LEGACY_SCENARIO_START);
    const served = await BucketLayoutWriter.create(new MemoryStorage(), {
      seed: LEGACY_SEED,
      clock,
      compactAfterRecords: LEGACY_COMPACT_AFTER,
    });
    await runLegacyScenario(served, clock);
    const got = await migrateIn(newObject(), bucket);
    expect(got.report).toMatchObject({ seq: served.graph.seq, records: 6, history: 0, sessions: 0 });
    expect(got.text).toBe(await documentOf(new KnowledgeGraphReader(served.graph)));
    expect(byId(got.nodes)).toEqual(byId(served.graph.nodes()));
  });

  it("an empty bucket: nothing to migrate, the object is seeded as usual, and later starts do nothing", async () => {
    const bucket = bucketAt(uniquePrefix("empty"));
    const stub = newObject();
    const first = await migrateIn(stub, bucket);
    expect(first.report).toBeNull();
    expect(first.logged).toEqual([]);
    expect(first.counts).toEqual({ nodes: 2, edges: 1, patterns: 0, seq: 0 });
    expect(first.runs).toEqual([]);
    expect(first.marker).toMatchObject([{ state: "empty" }]);
    // Something written to the bucket later is never picked up: the object has its own graph.
    await writeLegacyBucket(uniquePrefix("ignored")).then(async (legacy) => {
      const second = await migrateIn(stub, legacy.bucket);
      expect(second.report).toBeNull();
      expect(second.counts).toEqual(first.counts);
    });
  });

  it("an object whose graph predates the migration is never merged with the bucket (marked skipped)", async () => {
    const legacy = await writeLegacyBucket(uniquePrefix("skip"));
    const stub = newObject();
    await runInDurableObject(stub, async (_object: unknown, state: DurableObjectStateLike) => {
      const store = await SqliteGraphStore.open(state.storage, {
        archive: bucketAt(uniquePrefix("a")),
        seed: LEGACY_SEED,
      });
      await store.putNode("OWN", { type: "t" });
    });
    const got = await migrateIn(stub, legacy.bucket, [legacy.sessions[0]!.id]);
    expect(got.report).toBeNull();
    expect(got.logged).toMatchObject([{ event: "migration_from_r2_skipped" }]);
    expect(got.counts).toEqual({ nodes: 3, edges: 1, patterns: 0, seq: 1 });
    expect(got.runs).toEqual([]);
    expect(got.sessions).toEqual([null]);
    expect(got.marker).toMatchObject([{ state: "skipped" }]);
  });

  it("a start that fails midway is finished by the next one: no run or session twice, the graph once", async () => {
    const legacy = await writeLegacyBucket(uniquePrefix("resume"));
    const ids = legacy.sessions.map((s) => s.id);
    const flaky = new RecordingStorage(legacy.bucket);
    let failures = 0;
    // R2 fails while the sessions are copied (after the graph and the runs went in).
    flaky.failWith = (call) =>
      call.op === "get" && call.key === `sessions/${ids[2]}.json` && failures++ === 0
        ? new Error("R2 is unavailable")
        : undefined;
    const stub = newObject();
    await expect(migrateIn(stub, flaky, ids)).rejects.toThrow(/unavailable/);
    const got = await migrateIn(stub, flaky, ids);
    const expected = legacy.writer.graph;
    expect(got.counts.seq).toBe(expected.seq);
    expect(byId(got.nodes)).toEqual(byId(expected.nodes()));
    expect(got.runs).toEqual(legacy.runs);
    expect(got.sessions).toEqual(legacy.sessions);
    expect(got.report).toMatchObject({ history: legacy.runs.length, sessions: 3, seq: expected.seq });
    expect(got.marker).toMatchObject([{ state: "done" }]);
  });

  it("a damaged graph in the bucket is refused (nothing is seeded over it); a damaged session is reported and left", async () => {
    const legacy = await writeLegacyBucket(uniquePrefix("damaged"));
    const head = legacy.writer.head;
    const key = head.journal[0]!.key;
    const stored = (await legacy.bucket.get(key))!;
    const bytes = stored.body.slice();
    bytes[10] = bytes[10] === 0x41 ? 0x42 : 0x41;
    await legacy.bucket.put(key, bytes);
    const stub = newObject();
    await expect(migrateIn(stub, legacy.bucket)).rejects.toMatchObject({
      code: expect.any(String),
      file: key,
    });
    // Repaired by an operator: the next start migrates.
    await legacy.bucket.put(key, stored.body);
    const session = legacy.sessions[1]!;
    await legacy.bucket.put(`sessions/${session.id}.json`, "{ not json");
    const got = await migrateIn(stub, legacy.bucket, [session.id]);
    expect(got.counts.seq).toBe(legacy.writer.graph.seq);
    expect(got.sessions).toEqual([null]);
    expect(got.report).toMatchObject({ sessions: 2, damaged: [{ key: `sessions/${session.id}.json` }] });
  });
});
