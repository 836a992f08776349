import { DawsosError } from "../errors/errors.ts";
import type { KnowledgeGraph } from "../graph/knowledge-graph.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import type { StorageAdapter } from "../storage/adapter.ts";
import { type FileCheck, type IntegrityReport, verifyStateFiles } from "../store/verify-storage.ts";
import { type BucketHead, decodeHead } from "./bucket-head.ts";
import { HEAD_KEY } from "./bucket-keys.ts";
import { readJournalObject, readSnapshotObject } from "./bucket-objects.ts";

const check = (key: string, err: unknown): FileCheck => {
  if (err instanceof DawsosError) return { key, ok: false, error: { code: err.code, message: err.message } };
  throw err;
};

/** An object the head named was removed while we read (a compaction): start over. */
const HEAD_MOVED = Symbol("head moved");

/**
 * Checks the shared layout: the head, the snapshot it names (checksum, and that it is that
 * document), every journal object it names (checksum, seq) and that they replay onto the
 * snapshot — then versions, backups, seed and workflow history as for the filesystem layout.
 * Nothing is written.
 */
export async function verifyBucketStorage(
  storage: StorageAdapter,
  options: { hasher: HasherFactory; now: string },
): Promise<IntegrityReport> {
  let files: FileCheck[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    files = [];
    const outcome = await verifyHeadChain(storage, options, files);
    if (outcome !== HEAD_MOVED) break;
  }
  await verifyStateFiles(storage, options, files);
  const report: IntegrityReport = { ok: files.every((f) => f.ok), files };
  const head = await storage.get(HEAD_KEY).catch(() => null);
  let recovery: BucketHead["recovery"];
  try {
    recovery = head ? decodeHead(head.body).recovery : undefined;
  } catch {
    recovery = undefined;
  }
  return recovery ? { ...report, recovery } : report;
}

async function verifyHeadChain(
  storage: StorageAdapter,
  options: { hasher: HasherFactory; now: string },
  files: FileCheck[],
): Promise<typeof HEAD_MOVED | undefined> {
  const stored = await storage.get(HEAD_KEY);
  if (!stored) {
    files.push({
      key: HEAD_KEY,
      ok: false,
      error: { code: "empty_file", message: "graph/head.json is missing" },
    });
    return;
  }
  let head: BucketHead;
  try {
    head = decodeHead(stored.body);
    files.push({ key: HEAD_KEY, ok: true });
  } catch (err) {
    files.push(check(HEAD_KEY, err));
    return;
  }
  const moved = async () => (await storage.get(HEAD_KEY))?.etag !== stored.etag;
  let graph: KnowledgeGraph | null = null;
  try {
    graph = await readSnapshotObject(storage, head.snapshot, options.hasher, options.now);
    if (!graph) {
      if (await moved()) return HEAD_MOVED;
      files.push({ key: head.snapshot.key, ok: false, error: { code: "empty_file", message: "missing" } });
    } else {
      files.push({ key: head.snapshot.key, ok: true });
    }
  } catch (err) {
    files.push(check(head.snapshot.key, err));
  }
  for (const entry of head.journal) {
    try {
      const record = await readJournalObject(storage, entry, options.hasher);
      if (!record) {
        if (await moved()) return HEAD_MOVED;
        files.push({ key: entry.key, ok: false, error: { code: "empty_file", message: "missing" } });
        graph = null;
        continue;
      }
      graph?.apply(record.changes);
      files.push({ key: entry.key, ok: true });
    } catch (err) {
      files.push(check(entry.key, err));
      graph = null;
    }
  }
  return;
}
