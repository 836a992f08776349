import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidIdError, StorageError, ValidationError } from "@dawsos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STREAM_CHUNK_BYTES } from "./file-stream.ts";
import { nodeFsOps } from "./fs-ops.ts";
import { FsStorage } from "./fs-storage.ts";
import { FaultyFs } from "./testing/faulty-fs.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let root: string;
let faulty: FaultyFs;
let storage: FsStorage;
const scratch: string[] = [];

async function tempDir(tag: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), `dawsos-stream-${tag}-`)));
  scratch.push(dir);
  return dir;
}

/** Every file name under `dir`, recursively, as `/`-separated relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** `bytes` cut into chunks of uneven sizes, yielded asynchronously; records whether it was closed. */
function chunked(bytes: Uint8Array, sizes: number[]) {
  const state = { finished: false, pulled: 0 };
  async function* source() {
    try {
      let offset = 0;
      for (let i = 0; offset < bytes.length; i++) {
        const size = sizes[i % sizes.length]!;
        state.pulled++;
        yield bytes.subarray(offset, offset + size);
        offset += size;
      }
    } finally {
      state.finished = true;
    }
  }
  return { source: source(), state };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<{ body: Uint8Array; chunks: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return { body, chunks: parts.map((p) => p.length) };
}

beforeEach(async () => {
  root = await tempDir("root");
  faulty = new FaultyFs(nodeFsOps, { root });
  storage = await FsStorage.open(root, { fs: faulty, lock: true });
  faulty.clearLog();
});

afterEach(async () => {
  await storage.close();
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("FsStorage streams: round trips", () => {
  it("stores a 5 MiB body from uneven chunks and streams it back in chunks of at most 1 MiB", async () => {
    const body = new Uint8Array(randomBytes(5 * 1024 * 1024 + 123));
    const { source, state } = chunked(body, [300_000, 1, 777_777, 65_536]);
    const { etag } = await storage.putStream("backups/20250101_120000/graph.json", source);
    expect(state.finished).toBe(true);

    const ops = faulty.log.filter((e) => !["lstat", "realpath"].includes(e.op)).map((e) => e.op);
    expect(ops.filter((op) => op !== "write")).toEqual([
      "mkdir",
      "syncDir",
      "syncDir",
      "open",
      "sync",
      "close",
      "rename",
      "syncDir",
    ]);
    expect(faulty.ops("write").length).toBe(state.pulled);

    const stream = await storage.getStream("backups/20250101_120000/graph.json");
    const { body: back, chunks } = await collect(stream!);
    expect(Buffer.from(back).equals(Buffer.from(body))).toBe(true);
    expect(chunks.every((n) => n <= STREAM_CHUNK_BYTES)).toBe(true);
    expect(chunks.length).toBe(6);

    // The streamed etag is the same content hash `put` and `get` use.
    const got = await storage.get("backups/20250101_120000/graph.json");
    expect(got!.etag).toBe(etag);
    expect((await storage.put("copy.json", body)).etag).toBe(etag);
  });

  it("round-trips empty and tiny bodies", async () => {
    await storage.putStream("empty.json", (async function* () {})());
    expect((await collect((await storage.getStream("empty.json"))!)).chunks).toEqual([]);
    expect((await storage.get("empty.json"))!.body.length).toBe(0);
    await storage.putStream(
      "tiny.json",
      (async function* () {
        yield new TextEncoder().encode("{");
        yield new Uint8Array(0);
        yield new TextEncoder().encode("}");
      })(),
    );
    expect(text((await collect((await storage.getStream("tiny.json"))!)).body)).toBe("{}");
  });

  it("streams a snapshot: a replace during iteration does not change what is read", async () => {
    const old = new Uint8Array(3 * STREAM_CHUNK_BYTES).fill(1);
    await storage.put("graph.json", old);
    const stream = (await storage.getStream("graph.json"))!;
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    await storage.put("graph.json", new Uint8Array(10).fill(2));
    let total = first.value!.length;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) {
      expect(step.value.every((b) => b === 1)).toBe(true);
      total += step.value.length;
    }
    expect(total).toBe(old.length);
  });
});

describe("FsStorage streams: failures leave the target intact", () => {
  it("a source that throws midway: its own error, old content kept, no temp file", async () => {
    await storage.put("graph.json", "previous");
    const boom = new Error("serialiser failed");
    async function* failing() {
      yield new TextEncoder().encode("partial ");
      yield new TextEncoder().encode("more ");
      throw boom;
    }
    await expect(storage.putStream("graph.json", failing())).rejects.toBe(boom);
    expect(await readFile(join(root, "graph.json"), "utf8")).toBe("previous");
    expect(await filesUnder(root)).toEqual([".lock", "graph.json"]);
    expect(faulty.ops("unlink").length).toBe(1); // the temp file
  });

  it("a write that fails midway: StorageError with the cause, the source closed, no temp file", async () => {
    await storage.put("graph.json", "previous");
    const body = new Uint8Array(randomBytes(1_000_000));
    const { source, state } = chunked(body, [100_000]);
    faulty.failOn({ op: "write", nth: 3, code: "ENOSPC", partial: true });
    const err = await storage.putStream("graph.json", source).then(
      () => expect.unreachable(),
      (e: unknown) => e as StorageError,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect(state.finished).toBe(true); // return() reached the source
    expect(state.pulled).toBe(3);
    expect(await readFile(join(root, "graph.json"), "utf8")).toBe("previous");
    expect(await filesUnder(root)).toEqual([".lock", "graph.json"]);
  });

  it("a chunk that is not bytes is refused before anything is replaced", async () => {
    await storage.put("graph.json", "previous");
    const source = (async function* () {
      yield "a string" as unknown as Uint8Array;
    })();
    await expect(storage.putStream("graph.json", source)).rejects.toBeInstanceOf(ValidationError);
    expect(await filesUnder(root)).toEqual([".lock", "graph.json"]);
  });

  it("a read error rejects with StorageError and closes the file", async () => {
    await storage.put("graph.json", new Uint8Array(2 * STREAM_CHUNK_BYTES));
    const stream = (await storage.getStream("graph.json"))!;
    faulty.clearLog();
    faulty.failOn({ op: "read", nth: 2, code: "EIO" });
    const err = await collect(stream).then(
      () => expect.unreachable(),
      (e: unknown) => e as StorageError,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("EIO");
    expect(err.message).not.toContain(root);
    expect(faulty.log.map((e) => e.op)).toEqual(["read", "read", "close"]);
  });
});

describe("FsStorage streams: missing keys, escapes, handles", () => {
  it("getStream is null for missing keys, directories and paths through a file", async () => {
    await storage.put("dir/file.json", "x");
    await mkdir(join(root, "real-dir"));
    await symlink(join(root, "real-dir"), join(root, "dir-link"));
    for (const key of ["missing.json", "nested/missing.json", "dir", "dir/file.json/x", "dir-link"]) {
      expect(await storage.getStream(key), key).toBeNull();
    }
  });

  it("refuses streams through a symlink that escapes the root, before touching the target", async () => {
    const outside = await tempDir("outside");
    await writeFile(join(outside, "canary.json"), "canary");
    await symlink(outside, join(root, "escape"));
    await symlink(join(outside, "canary.json"), join(root, "link.json"));
    for (const key of ["escape/canary.json", "escape/new.json", "link.json"]) {
      const source = (async function* () {
        yield new TextEncoder().encode("pwned");
      })();
      await expect(storage.putStream(key, source), key).rejects.toBeInstanceOf(InvalidIdError);
      await expect(storage.getStream(key), key).rejects.toBeInstanceOf(InvalidIdError);
    }
    for (const key of ["../x.json", ".lock", `.a.${process.pid}.0123456789abcdef.tmp`]) {
      await expect(storage.putStream(key, (async function* () {})()), key).rejects.toBeInstanceOf(
        InvalidIdError,
      );
    }
    expect(await filesUnder(outside)).toEqual(["canary.json"]);
    expect(await readFile(join(outside, "canary.json"), "utf8")).toBe("canary");
  });

  it("abandoning iteration early closes the file", async () => {
    await storage.put("graph.json", new Uint8Array(3 * STREAM_CHUNK_BYTES));
    faulty.clearLog();
    for await (const chunk of (await storage.getStream("graph.json"))!) {
      expect(chunk.length).toBe(STREAM_CHUNK_BYTES);
      break;
    }
    expect(faulty.log.map((e) => `${e.op} ${e.path}`).filter((op) => !op.startsWith("lstat"))).toEqual([
      "open graph.json",
      "stat graph.json",
      "read graph.json",
      "close graph.json",
    ]);

    faulty.clearLog();
    const unread = (await storage.getStream("graph.json"))![Symbol.asyncIterator]();
    await unread.return!();
    await unread.return!();
    expect(faulty.ops("read")).toEqual([]);
    expect(faulty.ops("close").length).toBe(1);
    expect(await unread.next()).toEqual({ done: true, value: undefined });
  });

  it("reading to the end closes the file", async () => {
    await storage.put("graph.json", "{}");
    faulty.clearLog();
    expect(text((await collect((await storage.getStream("graph.json"))!)).body)).toBe("{}");
    expect(faulty.log.map((e) => e.op).filter((op) => op !== "lstat")).toEqual([
      "open",
      "stat",
      "read",
      "read",
      "close",
    ]);
  });
});
