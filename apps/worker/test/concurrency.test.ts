import { describe, expect, it } from "vitest";
import { call, freshGraphEnv } from "./support.ts";

/**
 * Writers through the Worker all reach one `GraphObject`, whose mutations are synchronous SQLite
 * transactions: they queue, they never conflict. No 409 and no 5xx, and every acknowledged write
 * is there afterwards (issue 12).
 */
describe("concurrent writers through the Worker", () => {
  it("200 concurrent PATCHes of one node, each adding its own key: all acknowledged, none lost", async () => {
    const workerEnv = freshGraphEnv();
    expect(
      (await call(workerEnv, "PUT", "/api/nodes/SHARED", { type: "test", data: { base: true } })).status,
    ).toBe(201);
    const before = ((await call(workerEnv, "GET", "/api/graph/stats")).json as { seq: number }).seq;
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(workerEnv, "PATCH", "/api/nodes/SHARED", { data: { [`w${i}`]: i } }),
      ),
    );
    for (const reply of replies) expect(reply.status, JSON.stringify(reply.json)).toBe(200);
    const node = (await call(workerEnv, "GET", "/api/nodes/SHARED")).json as {
      data: Record<string, unknown>;
    };
    for (let i = 0; i < 200; i++) expect(node.data[`w${i}`]).toBe(i);
    expect(node.data.base).toBe(true);
    // One change per PATCH: seq counts every one.
    const after = ((await call(workerEnv, "GET", "/api/graph/stats")).json as { seq: number }).seq;
    expect(after).toBe(before + 200);
  });

  it("64 clients PUTting distinct nodes for 5 s: every acknowledged node is present, nothing fails", async () => {
    const workerEnv = freshGraphEnv();
    const until = Date.now() + 5_000;
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: 64 }, async (_, client) => {
        for (let n = 0; Date.now() < until; n++) {
          const id = `C${client}_${n}`;
          const reply = await call(workerEnv, "PUT", `/api/nodes/${id}`, {
            type: "load",
            data: { client, n },
          });
          if (reply.status === 201) acknowledged.push(id);
          else failures.push({ id, status: reply.status, body: reply.json });
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(64);
    const present = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = (
        await call(
          workerEnv,
          "GET",
          `/api/nodes?type=load&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        )
      ).json as { items: Array<{ id: string }>; next_cursor: string | null };
      for (const item of page.items) present.add(item.id);
      cursor = page.next_cursor;
    } while (cursor);
    for (const id of acknowledged) expect(present.has(id), id).toBe(true);
    expect(present.size).toBe(acknowledged.length);
    console.log(
      `64 writers through the Worker for 5 s (workerd, local): ${acknowledged.length} acknowledged PUTs`,
    );
  });
});
