import type { BucketHead } from "../bucket-store/bucket-head.ts";
import {
  HEAD_KEY,
  JOURNAL_PREFIX,
  journalBaseOf,
  SNAPSHOTS_PREFIX,
  snapshotSeqOf,
} from "../bucket-store/bucket-keys.ts";
import { readDocument } from "../format/read-document.ts";
import { encodeDocument } from "../format/write-document.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import { createSha256 } from "../integrity/sha256.ts";
import { investmentFrameworkSeed } from "../seed/investment-framework.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import {
  type BuildChanges,
  type CommitResult,
  GraphMutations,
  type Precondition,
  prepareChanges,
} from "../store/mutations.ts";
import { SEED_KEY } from "../store/storage-keys.ts";
import { type Clock, systemClock } from "../util/clock.ts";

export interface BucketLayoutWriterOptions {
  /** Document the bucket is initialised from. Default: the shipped seed. */
  seed?: unknown;
  clock?: Clock;
  /** Fold the journal into a new snapshot once it names this many objects. Default 64. */
  compactAfterRecords?: number;
  /** … or this many bytes. Default 1 MiB. (The store's own defaults.) */
  compactAfterBytes?: number;
}

const encoder = new TextEncoder();
const padSeq = (seq: number) => String(seq).padStart(16, "0");
const randomSuffix = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * TEST ONLY. Writes a bucket exactly as the Worker's R2 store (`BucketGraphStore`, retired in
 * issue 12) left it, so the migration that reads that layout (`readBucketGraph`) can be tested
 * after the store is gone: `seeded_graph.json`; a checksummed snapshot per (re)initialisation
 * or compaction at `graph/snapshots/<seq:16>-<rand>.json`; one journal object per commit (a
 * `graph.journal` line with its SHA-256) at `graph/journal/<base seq:16>-<rand>.jsonl`; and
 * `graph/head.json` naming them. Same bytes as that store for the same changes and clock (a
 * test compares it with objects the store itself wrote), but a single writer: no
 * compare-and-swap, no retries, no recovery, no versions or backups.
 */
export class BucketLayoutWriter extends GraphMutations {
  readonly #storage: StorageAdapter;
  readonly #clock: Clock;
  readonly #compactAfter: { records: number; bytes: number };
  #graph: KnowledgeGraph;
  #head: BucketHead;

  private constructor(
    storage: StorageAdapter,
    options: BucketLayoutWriterOptions,
    graph: KnowledgeGraph,
    head: BucketHead,
  ) {
    super();
    this.#storage = storage;
    this.#clock = options.clock ?? systemClock;
    this.#compactAfter = {
      records: options.compactAfterRecords ?? 64,
      bytes: options.compactAfterBytes ?? 1024 * 1024,
    };
    this.#graph = graph;
    this.#head = head;
  }

  /** Initialises an empty bucket from the seed, as the store's first open did. */
  static async create(
    storage: StorageAdapter,
    options: BucketLayoutWriterOptions = {},
  ): Promise<BucketLayoutWriter> {
    const seed = options.seed ?? investmentFrameworkSeed;
    const now = (options.clock ?? systemClock).now().toISOString();
    const { graph } = readDocument(seed, { file: "seed", now });
    await storage.put(SEED_KEY, `${JSON.stringify(seed, null, 2)}\n`, { ifNoneMatch: "*" });
    const head = freshHead(await writeSnapshot(storage, graph), now);
    await putHead(storage, head);
    return new BucketLayoutWriter(storage, options, graph, head);
  }

  /** The graph as written so far. */
  get graph(): KnowledgeGraph {
    return this.#graph;
  }

  get head(): BucketHead {
    return this.#head;
  }

  protected now(): string {
    return this.#clock.now().toISOString();
  }

  protected async commitWith<T>(build: BuildChanges, check: Precondition, read: CommitResult<T>): Promise<T> {
    const graph = this.#graph;
    check?.(graph);
    const changes = build(graph);
    if (changes.length === 0) return read(graph, graph.seq);
    const { line } = prepareChanges(graph, changes, createSha256);
    const seq = graph.seq;
    const key = `${JOURNAL_PREFIX}${padSeq(seq - changes.length)}-${randomSuffix()}.jsonl`;
    const bytes = encoder.encode(line);
    await this.#storage.put(key, bytes, { ifNoneMatch: "*" });
    const entry = { key, seq, count: changes.length, bytes: bytes.length };
    this.#head = { ...this.#head, seq, journal: [...this.#head.journal, entry], updated: this.now() };
    await putHead(this.#storage, this.#head);
    const value = read(graph, seq);
    const journal = this.#head.journal;
    const bytesNamed = journal.reduce((sum, e) => sum + e.bytes, 0);
    if (journal.length >= this.#compactAfter.records || bytesNamed >= this.#compactAfter.bytes) {
      await this.compact();
    }
    return value;
  }

  /**
   * Folds the journal: a snapshot of the graph now, a head naming it alone, then the snapshots
   * and journal objects before it removed. Nothing to do when the snapshot is already current.
   */
  async compact(): Promise<void> {
    if (this.#graph.seq === this.#head.snapshot.seq) return;
    const snapshot = await writeSnapshot(this.#storage, this.#graph);
    this.#head = freshHead(snapshot, this.now());
    await putHead(this.#storage, this.#head);
    for (const { key } of await this.#storage.list(SNAPSHOTS_PREFIX)) {
      if ((snapshotSeqOf(key) ?? Number.POSITIVE_INFINITY) < snapshot.seq) await this.#storage.delete(key);
    }
    for (const { key } of await this.#storage.list(JOURNAL_PREFIX)) {
      if ((journalBaseOf(key) ?? Number.POSITIVE_INFINITY) < snapshot.seq) await this.#storage.delete(key);
    }
  }
}

/** An immutable, checksummed snapshot object of `graph` (create-only, unique key). */
async function writeSnapshot(
  storage: StorageAdapter,
  graph: KnowledgeGraph,
): Promise<BucketHead["snapshot"]> {
  const { bytes, checksum } = await encodeDocument(graph, createSha256);
  const key = `${SNAPSHOTS_PREFIX}${padSeq(graph.seq)}-${randomSuffix()}.json`;
  await storage.put(key, bytes, { ifNoneMatch: "*" });
  return { key, seq: graph.seq, checksum };
}

/** A head naming just `snapshot` (a bucket's first head, and the head after a compaction). */
function freshHead(snapshot: BucketHead["snapshot"], updated: string): BucketHead {
  return { format: "dawsos-edge-head", version: 1, seq: snapshot.seq, snapshot, journal: [], updated };
}

/** `graph/head.json`: the store replaced it by compare-and-swap; one writer just puts it. */
async function putHead(storage: StorageAdapter, head: BucketHead): Promise<void> {
  await storage.put(HEAD_KEY, `${JSON.stringify(head)}\n`);
}
