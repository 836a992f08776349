/**
 * `R2Storage.putStream` of bodies larger than one part: a multipart upload against the real R2
 * binding (workerd), one part buffered at a time, every part but the last exactly the part size.
 * The part size is set to R2's 5 MiB minimum so an ~11 MiB body makes three parts.
 */
import { env } from "cloudflare:workers";
import type { DawsosError } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { R2Storage } from "../src/index.ts";
import { R2_MIN_PART_BYTES } from "../src/r2-multipart.ts";
import { MultipartProbe, uniquePrefix } from "./support.ts";

const PART = R2_MIN_PART_BYTES;
const BODY = 11 * 1024 * 1024 + 12_345;

/** Deterministic bytes that differ everywhere, so a lost, doubled or reordered part shows. */
function bodyBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The body in chunks of uneven sizes that never line up with the part boundaries. */
async function* chunksOf(bytes: Uint8Array, failAfterBytes?: number): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    if (failAfterBytes !== undefined && at >= failAfterBytes) throw new Error("injected: source failed");
    const size = 60_000 + ((i * 7919) % 90_001);
    yield bytes.slice(at, at + size);
    at += size;
  }
}

const hex = async (bytes: Uint8Array) =>
  Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");

async function streamed(storage: R2Storage, key: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of (await storage.getStream(key))!) {
    parts.push(chunk.slice());
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function open() {
  const probe = new MultipartProbe(env.GRAPH_BUCKET);
  const storage = new R2Storage(probe, { prefix: uniquePrefix("multipart"), multipartPartBytes: PART });
  return { probe, storage };
}

describe("R2Storage.putStream in parts (workerd)", () => {
  it("stores a body over the part size as equal parts plus a smaller last one, intact and readable", async () => {
    const { probe, storage } = open();
    const body = bodyBytes(BODY);
    const result = await storage.putStream("big/version.json", chunksOf(body));
    expect(probe.calls).toEqual([
      "create",
      `part 1 ${PART}`,
      `part 2 ${PART}`,
      `part 3 ${BODY - 2 * PART}`,
      "complete",
    ]);
    const stored = await storage.get("big/version.json");
    expect(stored!.body.length).toBe(BODY);
    expect(await hex(stored!.body)).toBe(await hex(body));
    expect(stored!.etag).toBe(result.etag);
    expect(await hex(await streamed(storage, "big/version.json"))).toBe(await hex(body));
    expect((await storage.list("big/")).map((o) => [o.key, o.size])).toEqual([["big/version.json", BODY]]);
  });

  it("sends a body of at most one part with a single put (and its SHA-256)", async () => {
    const { probe, storage } = open();
    const body = bodyBytes(PART);
    await storage.putStream("one.json", chunksOf(body));
    expect(probe.calls).toEqual(["put"]);
    expect(await hex((await storage.get("one.json"))!.body)).toBe(await hex(body));
  });

  it("a source failing after a part was uploaded aborts the upload: nothing stored, the previous object kept", async () => {
    const { probe, storage } = open();
    await storage.put("kept.json", "previous");
    const failing = storage.putStream("kept.json", chunksOf(bodyBytes(BODY), PART + 200_000));
    await expect(failing).rejects.toThrow("injected: source failed");
    expect(probe.calls).toEqual(["put", "create", `part 1 ${PART}`, "abort"]);
    expect(new TextDecoder().decode((await storage.get("kept.json"))!.body)).toBe("previous");
    // A new key: nothing appears at all.
    probe.calls.length = 0;
    await expect(storage.putStream("new.json", chunksOf(bodyBytes(BODY), PART + 1))).rejects.toThrow(
      "injected: source failed",
    );
    expect(probe.calls).toEqual(["create", `part 1 ${PART}`, "abort"]);
    expect(await storage.get("new.json")).toBeNull();
    expect((await storage.list("")).map((o) => o.key)).toEqual(["kept.json"]);
  });

  it("a part R2 refuses aborts the upload with a StorageError; the previous object is kept", async () => {
    const { probe, storage } = open();
    await storage.put("kept.json", "previous");
    probe.failPart = 2;
    const failing = storage.putStream("kept.json", chunksOf(bodyBytes(BODY)));
    await expect(failing).rejects.toMatchObject({ code: "storage_error" });
    expect(probe.calls.slice(-2)).toEqual([`part 2 ${PART}`, "abort"]);
    expect(probe.calls).not.toContain("complete");
    expect(new TextDecoder().decode((await storage.get("kept.json"))!.body)).toBe("previous");
  });

  it("refuses a part size below R2's 5 MiB minimum", () => {
    let error: DawsosError | undefined;
    try {
      new R2Storage(env.GRAPH_BUCKET, { multipartPartBytes: PART - 1 });
    } catch (err) {
      error = err as DawsosError;
    }
    expect(error?.code).toBe("validation_error");
  });
});
