import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SqliteGraphStore, type SqliteStoreEvent } from "@dawsos/core/sqlite-store";
import { R2Storage } from "@dawsos/storage-kv";
import { describe, expect, it } from "vitest";
import type { DurableObjectStubLike } from "../src/env.ts";
import { uniquePrefix } from "./support.ts";

const PART = 5 * 1024 * 1024;
const NODES = 3000;

/** ~2 KB per node: a document of about 6.5 MB, so it goes to R2 in two parts. */
function largeDocument() {
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < NODES; i++) {
    nodes[`N${i}`] = {
      type: `t${i % 4}`,
      data: { name: `Node ${i}`, text: `${i} `.repeat(400).slice(0, 2000) },
    };
  }
  const edges = Array.from({ length: NODES }, (_, i) => ({
    from: `N${i}`,
    to: `N${(i + 1) % NODES}`,
    type: "next",
    strength: 0.5,
  }));
  return { version: 2, nodes, edges, patterns: {} };
}

describe("the GraphObject's archive in workerd (R2 multipart + streaming restore)", () => {
  it("a version larger than one R2 part is saved in parts and restored record by record, equal to what was saved", async () => {
    const namespace = env.GRAPH_OBJECT!;
    const stub: DurableObjectStubLike = namespace.get(namespace.idFromName(crypto.randomUUID()));
    const prefix = uniquePrefix("archive-restore");
    const result = await runInDurableObject(stub, async (_object, state) => {
      const events: SqliteStoreEvent[] = [];
      const archive = new R2Storage(env.GRAPH_BUCKET, { prefix, multipartPartBytes: PART });
      const store = await SqliteGraphStore.open(state.storage, {
        archive,
        seed: { nodes: {}, edges: [] },
        importChunkRows: 500,
        onEvent: (event) => events.push(event),
      });
      await store.replaceGraph(largeDocument());
      const saved = await store.saveVersion();
      const text = async () => {
        let out = "";
        for await (const chunk of store.document()) out += chunk;
        return out;
      };
      const original = await text();
      await store.putNode("LATER", { type: "t" });
      await store.deleteNode("N7");
      await store.restoreVersion(saved.id);
      const restored = await text();
      const strip = (t: string) => {
        const { seq: _s, checksum: _c, ...rest } = JSON.parse(t) as Record<string, unknown>;
        return rest;
      };
      return {
        size: saved.size,
        listedSize: (await archive.list("graph_"))[0]?.size,
        same: JSON.stringify(strip(restored)) === JSON.stringify(strip(original)),
        counts: await store.counts(),
        restoredEvents: events.filter((e) => e.type === "restored"),
      };
    });
    expect(result.size).toBeGreaterThan(PART);
    expect(result.listedSize).toBe(result.size);
    expect(result.same).toBe(true);
    expect(result.counts).toMatchObject({ nodes: NODES, edges: NODES });
    expect(result.restoredEvents).toEqual([expect.objectContaining({ type: "restored", streamed: true })]);
  });
});
