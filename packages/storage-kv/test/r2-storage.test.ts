import { env } from "cloudflare:workers";
import { ConflictError, GraphStore, toBytes } from "@dawsos/core";
import { runStorageContract } from "@dawsos/core/testing";
import { describe, expect, it } from "vitest";
import { R2Storage } from "../src/index.ts";
import { CountingBucket, uniquePrefix } from "./support.ts";

const bucket = env.GRAPH_BUCKET;

runStorageContract("R2Storage in workerd", {
  create: () => new R2Storage(bucket, { prefix: uniquePrefix("contract") }),
});

const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

describe("R2Storage in workerd", () => {
  it("R2 itself answers null to a failed condition — and the adapter reports it as a conflict, never success", async () => {
    const prefix = uniquePrefix("cond");
    const storage = new R2Storage(bucket, { prefix });
    const first = await storage.put("head.json", "v1");
    await storage.put("head.json", "v2");
    // The exact semantics relied on, asked of the binding directly (miniflare's R2 emulation has
    // had bugs here): a stale etagMatches and an etagDoesNotMatch "*" on an existing key both
    // answer null and write nothing; etagMatches on a missing key too.
    expect(await bucket.put(`${prefix}head.json`, "raw", { onlyIf: { etagMatches: first.etag } })).toBeNull();
    expect(await bucket.put(`${prefix}head.json`, "raw", { onlyIf: { etagDoesNotMatch: "*" } })).toBeNull();
    expect(
      await bucket.put(`${prefix}missing.json`, "raw", { onlyIf: { etagMatches: first.etag } }),
    ).toBeNull();
    expect(await bucket.head(`${prefix}missing.json`)).toBeNull();
    // Through the adapter: typed conflicts.
    const stale = storage.put("head.json", "v3", { ifMatch: first.etag });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toMatchObject({ code: "precondition_failed" });
    await expect(storage.put("head.json", "v3", { ifNoneMatch: "*" })).rejects.toMatchObject({
      code: "precondition_failed",
    });
    await expect(storage.put("missing.json", "v", { ifMatch: first.etag })).rejects.toMatchObject({
      code: "precondition_failed",
    });
    expect(new TextDecoder().decode((await storage.get("head.json"))!.body)).toBe("v2");
    expect(await storage.get("missing.json")).toBeNull();
    // The current etag works; create-only works on a missing key.
    const current = (await storage.get("head.json"))!.etag;
    await expect(storage.put("head.json", "v4", { ifMatch: current })).resolves.toHaveProperty("etag");
    await expect(storage.put("new.json", "n", { ifNoneMatch: "*" })).resolves.toHaveProperty("etag");
  });

  it("sends the body's SHA-256 with every put, so R2 verifies the upload", async () => {
    const prefix = uniquePrefix("sha");
    const storage = new R2Storage(bucket, { prefix });
    const body = toBytes("checksummed body");
    await storage.put("a.json", body);
    const stored = await bucket.head(`${prefix}a.json`);
    const expected = hex(await crypto.subtle.digest("SHA-256", body as Uint8Array<ArrayBuffer>));
    expect(stored!.checksums.sha256 && hex(stored!.checksums.sha256)).toBe(expected);
  });

  it("lists past 1,000 keys by following cursors, and sees only its own prefix", async () => {
    const counting = new CountingBucket(bucket);
    const prefix = uniquePrefix("page");
    const storage = new R2Storage(counting, { prefix });
    const keys = Array.from({ length: 1100 }, (_, i) => `k/${String(i).padStart(5, "0")}.json`);
    for (let i = 0; i < keys.length; i += 150) {
      await Promise.all(keys.slice(i, i + 150).map((k) => storage.put(k, "x")));
    }
    await new R2Storage(bucket, { prefix: uniquePrefix("other") }).put("k/zzz.json", "not mine");
    counting.lists = 0;
    const listed = await storage.list("k/");
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(counting.lists).toBeGreaterThanOrEqual(2);
  });

  it("is accepted by GraphStore (strong, compare-and-swap)", async () => {
    const other = new R2Storage(bucket, { prefix: uniquePrefix("single") });
    expect(other.capabilities).toMatchObject({ conditionalWrites: true, consistency: "strong" });
    const single = await GraphStore.open(other, { seed: { nodes: { A: { type: "t" } } } });
    await single.putNode("B", { type: "t" });
    await single.close();
    expect((await GraphStore.open(other)).graph.hasNode("B")).toBe(true);
  });
});
