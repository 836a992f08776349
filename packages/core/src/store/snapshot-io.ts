import { countedSnapshot } from "../format/counted-snapshot.ts";
import { NOT_LINE_LAYOUT } from "../format/document-records.ts";
import { readDocumentStream } from "../format/stream-read-document.ts";
import { type DocumentSnapshot, documentText } from "../format/write-document.ts";
import type { HasherFactory } from "../integrity/sha256.ts";
import { concatBytes, type StorageAdapter } from "../storage/adapter.ts";
import { listedSize, meterReads } from "../storage/metered-reads.ts";
import { type OnProgress, progressStep } from "../util/progress.ts";
import { type LoadedGraph, loadGraphBytes } from "./load-graph.ts";

const encoder = new TextEncoder();

/**
 * Writes a snapshot to `key`, streaming when the adapter can; returns checksum and size. With
 * `progress`, reports the entries written (step `writing <key>`) after each chunk; `records`
 * is the snapshot's entry count (nodes + edges + patterns), the step's total.
 */
export async function writeSnapshotTo(
  storage: StorageAdapter,
  key: string,
  snapshot: DocumentSnapshot,
  hasher: HasherFactory,
  progress?: { onProgress?: OnProgress; records: number },
): Promise<{ checksum: string; size: number }> {
  const result: { checksum?: string } = {};
  let size = 0;
  let afterChunk: () => void = () => undefined;
  if (progress?.onProgress) {
    const counted = countedSnapshot(snapshot);
    const count = progressStep(progress.onProgress, `writing ${key}`, "records", progress.records);
    let reported = 0;
    snapshot = counted.snapshot;
    afterChunk = () => {
      count(counted.taken() - reported);
      reported = counted.taken();
    };
  }
  if (storage.putStream) {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const text of documentText(snapshot, hasher, result)) {
        const bytes = encoder.encode(text);
        size += bytes.length;
        yield bytes;
        afterChunk();
      }
    }
    await storage.putStream(key, chunks());
  } else {
    const parts: Uint8Array[] = [];
    for (const text of documentText(snapshot, hasher, result)) {
      const bytes = encoder.encode(text);
      parts.push(bytes);
      size += bytes.length;
      afterChunk();
    }
    await storage.put(key, concatBytes(parts));
  }
  return { checksum: result.checksum!, size };
}

/**
 * Copies the stored bytes of `from` to `to` (a put like any other: crash-safe on the fs
 * adapter), streaming when the adapter can. Cheaper than serialising the same snapshot again.
 */
export async function copyStored(storage: StorageAdapter, from: string, to: string): Promise<void> {
  if (storage.getStream && storage.putStream) {
    const stream = await storage.getStream(from);
    if (!stream) throw new Error(`copyStored: ${from} is missing`);
    await storage.putStream(to, stream);
    return;
  }
  const stored = await storage.get(from);
  if (!stored) throw new Error(`copyStored: ${from} is missing`);
  await storage.put(to, stored.body);
}

/**
 * Reads and verifies a stored graph document. Our line layout is streamed (no whole-file
 * buffer or string); any other layout (pretty-printed, Python, seed) is read whole.
 * `null` when nothing is stored. Damage is an `IntegrityError` naming `key`.
 */
export async function readSnapshotFrom(
  storage: StorageAdapter,
  key: string,
  options: { hasher: HasherFactory; now: string; allowUnchecksummed?: boolean; onProgress?: OnProgress },
): Promise<(LoadedGraph & { bytes: Uint8Array | null }) | null> {
  if (options.onProgress) {
    // The bytes read of the file's listed size (step `reading <key>`); nothing listed, nothing to read.
    const total = await listedSize(storage, key);
    if (total !== undefined)
      storage = meterReads(storage, progressStep(options.onProgress, `reading ${key}`, "bytes", total));
  }
  if (storage.getStream) {
    const stream = await storage.getStream(key);
    if (!stream) return null;
    const streamed = await readDocumentStream(stream, key, options.hasher);
    if (streamed !== NOT_LINE_LAYOUT)
      return { graph: streamed.graph, format: "dawsos", checksum: streamed.checksum, bytes: null };
  }
  const stored = await storage.get(key);
  if (!stored) return null;
  return { ...loadGraphBytes(stored.body, key, options), bytes: stored.body };
}
