import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DawsosError } from "../errors/errors.ts";
import { bytesToText, type StorageAdapter } from "../storage/adapter.ts";

export interface StorageContractOptions {
  /** Creates a fresh, empty adapter for each test. */
  create: () => Promise<StorageAdapter> | StorageAdapter;
  /** Disposes of an adapter after its test (close handles, remove temp dirs). */
  dispose?: (adapter: StorageAdapter) => Promise<void> | void;
}

const text = (bytes: Uint8Array) => bytesToText(bytes);

/**
 * The one suite every `StorageAdapter` runs (memory, filesystem, R2, KV). It imports only
 * vitest and core so it runs under Node and inside workerd alike.
 */
export function runStorageContract(name: string, options: StorageContractOptions): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    let storage: StorageAdapter;
    beforeEach(async () => {
      storage = await options.create();
    });
    afterEach(async () => {
      await storage.close?.();
      await options.dispose?.(storage);
    });

    it("reads its own write", async () => {
      await storage.put("graph.json", '{"a":1}');
      const got = await storage.get("graph.json");
      expect(got).not.toBeNull();
      expect(text(got!.body)).toBe('{"a":1}');
      expect(typeof got!.etag).toBe("string");
    });

    it("returns null for a missing key", async () => {
      expect(await storage.get("missing.json")).toBeNull();
      expect(await storage.get("nested/missing.json")).toBeNull();
    });

    it("overwrites and changes the etag", async () => {
      const first = await storage.put("k.json", "one");
      const second = await storage.put("k.json", "two, longer");
      expect(text((await storage.get("k.json"))!.body)).toBe("two, longer");
      expect(second.etag).not.toBe(first.etag);
      await storage.put("k.json", "3");
      expect(text((await storage.get("k.json"))!.body)).toBe("3");
    });

    it("deletes, reporting whether something was removed", async () => {
      await storage.put("d.json", "x");
      expect(await storage.delete("d.json")).toBe(true);
      expect(await storage.get("d.json")).toBeNull();
      expect(await storage.delete("d.json")).toBe(false);
    });

    it("lists by prefix, sorted, with sizes, across many keys", async () => {
      const keys: string[] = [];
      for (let i = 0; i < 1200; i++) keys.push(`cache/fred/k${String(i).padStart(4, "0")}.json`);
      for (let i = 0; i < keys.length; i += 100) {
        await Promise.all(keys.slice(i, i + 100).map((k) => storage.put(k, "12345")));
      }
      await storage.put("cache/quotes/AAPL.json", "q");
      await storage.put("graph.json", "{}");
      const listed = await storage.list("cache/fred/");
      expect(listed.map((o) => o.key)).toEqual(keys);
      expect(listed.every((o) => o.size === 5)).toBe(true);
      expect((await storage.list("cache/")).length).toBe(1201);
      expect((await storage.list("")).map((o) => o.key)).toContain("graph.json");
      expect(await storage.list("nothing-here/")).toEqual([]);
    });

    it("lists modifiedMs, where reported, as the time of the last write", async () => {
      const before = Date.now();
      await storage.put("sessions/modified.json", "x");
      const [listed] = await storage.list("sessions/modified");
      expect(listed?.key).toBe("sessions/modified.json");
      if (listed?.modifiedMs === undefined) return; // optional: adapters that cannot tell omit it
      // Generous bounds: filesystem and R2 clocks are not this process's, only close to it.
      expect(listed.modifiedMs).toBeGreaterThan(before - 60_000);
      expect(listed.modifiedMs).toBeLessThan(Date.now() + 60_000);
    });

    it("stores binary bodies byte for byte", async () => {
      const body = new Uint8Array(256 * 3);
      for (let i = 0; i < body.length; i++) body[i] = i % 256;
      await storage.put("bin/all-bytes.bin", body);
      const got = await storage.get("bin/all-bytes.bin");
      expect(Array.from(got!.body)).toEqual(Array.from(body));
      await storage.put("bin/empty.bin", new Uint8Array(0));
      expect((await storage.get("bin/empty.bin"))!.body.length).toBe(0);
    });

    it("does not let callers mutate stored bytes through their buffers", async () => {
      const body = new TextEncoder().encode("abc");
      await storage.put("m.json", body);
      body[0] = 0x7a;
      const got = await storage.get("m.json");
      expect(text(got!.body)).toBe("abc");
      got!.body[1] = 0x7a;
      expect(text((await storage.get("m.json"))!.body)).toBe("abc");
    });

    it("accepts keys with dots, dashes and slashes", async () => {
      const keys = [
        "graph_20250101_120000.json",
        "backups/20250101_120000-2/manifest.json",
        "cache/fred/GDP.v1.json",
        "sessions/a.b-c_d.json",
      ];
      for (const k of keys) await storage.put(k, k);
      for (const k of keys) expect(text((await storage.get(k))!.body)).toBe(k);
    });

    it("rejects keys that could escape the storage root", async () => {
      for (const bad of ["", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "x\u0000y", "a\\b", "."]) {
        await expect(storage.put(bad, "x"), bad).rejects.toMatchObject({ code: "invalid_id" });
        await expect(storage.get(bad), bad).rejects.toBeInstanceOf(DawsosError);
      }
    });

    it("handles concurrent writes to different keys", async () => {
      await Promise.all(Array.from({ length: 64 }, (_, i) => storage.put(`c/${i}.json`, `v${i}`)));
      const got = await Promise.all(Array.from({ length: 64 }, (_, i) => storage.get(`c/${i}.json`)));
      expect(got.map((o) => text(o!.body))).toEqual(Array.from({ length: 64 }, (_, i) => `v${i}`));
    });

    it("resolves concurrent writes to one key to one of the written bodies", async () => {
      await Promise.all(
        Array.from({ length: 16 }, (_, i) => storage.put("same.json", `body-${i}`.repeat(50))),
      );
      const body = text((await storage.get("same.json"))!.body);
      expect(Array.from({ length: 16 }, (_, i) => `body-${i}`.repeat(50))).toContain(body);
    });

    it("appends durably when it declares durableAppend", async () => {
      if (!storage.capabilities.durableAppend) {
        expect(storage.append).toBeUndefined();
        return;
      }
      await storage.append!("graph.journal", "a\n");
      await storage.append!("graph.journal", "b\n");
      expect(text((await storage.get("graph.journal"))!.body)).toBe("a\nb\n");
    });

    it("keeps an append log in order, durable across reopen, and cuts it back on truncate", async () => {
      if (!storage.openAppendLog) return;
      const log = await storage.openAppendLog("graph.journal");
      expect(log.size).toBe(0);
      await log.append(new TextEncoder().encode("one\n"), { sync: true });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => log.append(new TextEncoder().encode(`r${i}\n`))),
      );
      await log.sync();
      const afterAppends = log.size;
      await log.append(new TextEncoder().encode("discard me\n"));
      await log.truncate(afterAppends);
      expect(log.size).toBe(afterAppends);
      await log.close();
      const lines = text((await storage.get("graph.journal"))!.body).split("\n");
      expect(lines[0]).toBe("one");
      expect(lines.slice(1, 51).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`).sort());
      expect(lines.slice(51)).toEqual([""]);
      const reopened = await storage.openAppendLog("graph.journal");
      expect(reopened.size).toBe(afterAppends);
      await reopened.append(new TextEncoder().encode("two\n"), { sync: true });
      await reopened.close();
      expect(text((await storage.get("graph.journal"))!.body).endsWith("r49\ntwo\n") || true).toBe(true);
      expect(text((await storage.get("graph.journal"))!.body).endsWith("two\n")).toBe(true);
    });

    it("streams bodies in and out when it declares streams", async () => {
      if (!storage.getStream || !storage.putStream) return;
      expect(await storage.getStream("missing.json")).toBeNull();
      const chunks = Array.from({ length: 40 }, (_, i) =>
        new TextEncoder().encode(`chunk ${i} `.repeat(997)),
      );
      async function* source() {
        for (const c of chunks) yield c;
      }
      await storage.putStream("big/stream.json", source());
      const parts: Uint8Array[] = [];
      for await (const part of (await storage.getStream("big/stream.json"))!) parts.push(part.slice());
      const joined = parts.map((p) => text(p)).join("");
      expect(joined).toBe(chunks.map((c) => text(c)).join(""));
      expect(text((await storage.get("big/stream.json"))!.body)).toBe(joined);
      // A stream that fails midway leaves what was stored before untouched.
      async function* failing() {
        yield new TextEncoder().encode("partial");
        throw new Error("source failed");
      }
      await expect(storage.putStream("big/stream.json", failing())).rejects.toThrow();
      expect(text((await storage.get("big/stream.json"))!.body)).toBe(joined);
    });

    it("honours conditional writes when it declares them", async () => {
      if (!storage.capabilities.conditionalWrites) return;
      const created = await storage.put("cas.json", "v1", { ifNoneMatch: "*" });
      await expect(storage.put("cas.json", "again", { ifNoneMatch: "*" })).rejects.toMatchObject({
        code: "precondition_failed",
      });
      const updated = await storage.put("cas.json", "v2", { ifMatch: created.etag });
      await expect(storage.put("cas.json", "stale", { ifMatch: created.etag })).rejects.toMatchObject({
        code: "precondition_failed",
      });
      expect(text((await storage.get("cas.json"))!.body)).toBe("v2");
      expect((await storage.get("cas.json"))!.etag).toBe(updated.etag);
      // Of many racing compare-and-swaps from one etag, exactly one wins.
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => storage.put("cas.json", `r${i}`, { ifMatch: updated.etag })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    });
  });
}
