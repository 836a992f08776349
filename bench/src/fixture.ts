/**
 * Per-size fixtures shared by the benchmark groups: the generated document, and a storage
 * directory seeded from it once through `GraphStore` (then closed) that each case copies, so
 * every case starts from the same files without paying for seeding again.
 */
import {
  closeSync,
  cpSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { GraphStore, type GraphStoreOptions } from "@dawsos/core";
import { FsStorage, nodeSha256 } from "@dawsos/storage-fs";
import { generateGraphDocument, type SeedDocument } from "./generate.ts";
import { collectGarbage, now } from "./measure.ts";
import { fmtBytes, type Row, sizeOf } from "./table.ts";

export interface Fixture {
  nodes: number;
  edges: number;
  /** "100k / 300k" */
  size: string;
  doc: SeedDocument;
  /** Node ids in document order. */
  ids: string[];
  /** A closed storage directory seeded from `doc` through `GraphStore`. */
  templateDir: string;
  /** Time `GraphStore.open` took to seed the template (ms). */
  seedMs: number;
  generateMs: number;
}

export interface CaseResult {
  rows: Row[];
  notes: string[];
}

export interface BenchContext {
  /** Working directory of this run (removed at the end). */
  root: string;
  /** Progress message on stderr (stdout carries the tables). */
  log: (message: string) => void;
}

let dirCounter = 0;

/** A new empty directory under the run root. */
export function freshDir(root: string, name: string): string {
  const dir = join(root, `${name}-${++dirCounter}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** fsyncs every file and directory under `dir`, so no dirty page cache is left to skew timings. */
export function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) fsyncPath(path);
  }
  fsyncPath(dir);
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies a storage directory (without a writer lock file, which would name this live process)
 * and syncs the copy.
 */
export function copyStorage(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !basename(src).startsWith(".lock") && !basename(src).endsWith(".lock"),
  });
  syncTree(to);
}

/** A storage directory copied from the fixture's template. */
export function storageCopy(fx: Fixture, ctx: BenchContext, name: string): string {
  const dir = freshDir(ctx.root, name);
  copyStorage(fx.templateDir, dir);
  return dir;
}

/**
 * Opens a GraphStore over FsStorage with the Node hasher. A writer takes the directory's
 * single-writer lock where this FsStorage supports it (`{ lock: true }`); read-only opens do not.
 */
export async function openStore(
  dir: string,
  fx: Fixture | null,
  options: GraphStoreOptions = {},
): Promise<GraphStore> {
  const storageOptions: Record<string, unknown> = options.readOnly ? {} : { lock: true };
  const storage = await FsStorage.open(dir, storageOptions);
  try {
    return await GraphStore.open(storage, {
      ...(fx ? { seed: fx.doc } : {}),
      hasher: nodeSha256,
      ...options,
    });
  } catch (err) {
    await storage.close?.();
    throw err;
  }
}

/** Closes the store (if this GraphStore has `close()`), then its storage adapter (releasing its lock). */
export async function closeStore(store: GraphStore): Promise<void> {
  const close = (store as { close?: () => Promise<void> }).close;
  if (typeof close === "function") await close.call(store);
  await store.storage.close?.();
}

/**
 * A realistic small update of an existing node: its type kept, a refreshed value and
 * timestamp — a node of about 300 bytes, the size of a journal record the issue compares
 * with a bare 300-byte append.
 */
export function updateFor(
  fx: Fixture,
  id: string,
  k: number,
): { type: string; data: Record<string, unknown> } {
  const node = fx.doc.nodes[id]!;
  const name = typeof node.data.name === "string" ? node.data.name : id;
  return {
    type: node.type,
    data: {
      name,
      value: Math.round(((k * 7919) % 100_000) / 10) / 100,
      source: "bench",
      updated: new Date(1_735_689_600_000 + k * 1000).toISOString(),
      note: "refreshed by the durable-update benchmark",
    },
  };
}

/** Files of a storage directory with their sizes, for notes. */
export function describeDir(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${e.name} ${fmtBytes(statSync(join(dir, e.name)).size)}`)
    .join(", ");
}

/** Size of a file, or null when it does not exist. */
export function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

export async function createFixture(ctx: BenchContext, nodes: number): Promise<Fixture> {
  ctx.log(`generating ${nodes} nodes`);
  let t = now();
  const doc = generateGraphDocument({ nodes, edgesPerNode: 3, seed: 20_240_101 });
  const generateMs = now() - t;
  const ids = Object.keys(doc.nodes);
  const templateDir = freshDir(ctx.root, `template-${nodes}`);
  ctx.log(`seeding the template storage (${nodes} nodes) through GraphStore.open`);
  t = now();
  const store = await openStore(templateDir, null, { seed: doc });
  const seedMs = now() - t;
  await closeStore(store);
  syncTree(templateDir);
  collectGarbage();
  return {
    nodes: ids.length,
    edges: doc.edges.length,
    size: sizeOf(ids.length, doc.edges.length),
    doc,
    ids,
    templateDir,
    seedMs,
    generateMs,
  };
}

/** Appends `bytes` fully at the fd's position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Deterministic permutation of `0..n-1` (for picking nodes without a pattern the cache likes). */
export function shuffledIndexes(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let a = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    a = (Math.imul(a, 1_664_525) + 1_013_904_223) >>> 0;
    const j = a % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
