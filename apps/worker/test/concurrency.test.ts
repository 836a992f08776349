import type { BucketEvent } from "@dawsos/core/bucket-store";
import { describe, expect, it } from "vitest";
import { call, newIsolate, uniquePrefix } from "./support.ts";

/**
 * Issue 5's concurrency test: 50 concurrent `PUT /api/nodes/<distinct id>` and 50 concurrent
 * `PATCH` of one shared node (each adding its own `data` key), sent through separately created
 * app instances — simulated isolates, each with its own in-memory graph — sharing one R2 bucket.
 * Run with the default retry budget (everything should commit) and with a tiny one (so some
 * requests run out of attempts and must answer 409 with nothing applied).
 */
describe.each([
  { budget: "default retries", maxAttempts: undefined },
  { budget: "no retries", maxAttempts: 1 },
])("50 PUT + 50 PATCH through 25 isolates on one bucket ($budget)", ({ maxAttempts }) => {
  it("no lost update: every 2xx'd node and data key is present, every other answer is 409, the graph verifies", async () => {
    const prefix = uniquePrefix("concurrency");
    const events: BucketEvent[] = [];
    const store = {
      onEvent: (e: BucketEvent) => events.push(e),
      ...(maxAttempts === undefined ? {} : { backoff: { maxAttempts } }),
    };
    const isolates = await Promise.all(Array.from({ length: 25 }, () => newIsolate(prefix, { store })));
    const requests = Array.from({ length: 50 }, (_, i) => {
      const app = isolates[i % isolates.length]!;
      return [
        { kind: "put", i, run: () => call(app, "PUT", `/api/nodes/W${i}`, { type: "writer", data: { i } }) },
        {
          kind: "patch",
          i,
          run: () => call(app, "PATCH", "/api/nodes/SHARED", { data: { [`w${i}`]: true } }),
        },
      ];
    }).flat();
    const started = Date.now();
    const replies = await Promise.all(requests.map((r) => r.run()));
    const ms = Date.now() - started;

    const fresh = await newIsolate(prefix);
    const shared = (await call(fresh, "GET", "/api/nodes/SHARED")).json as { data: Record<string, unknown> };
    const tally = { ok: 0, conflict: 0 };
    for (const [index, reply] of replies.entries()) {
      const { kind, i } = requests[index]!;
      expect([200, 201, 409], JSON.stringify(reply)).toContain(reply.status);
      if (reply.status === 409) {
        tally.conflict++;
        expect((reply.json as { error: { code: string } }).error.code).toBe("conflict");
        // Nothing half-applied: a 409'd change is nowhere.
        if (kind === "put") expect((await call(fresh, "GET", `/api/nodes/W${i}`)).status).toBe(404);
        else expect(shared.data[`w${i}`]).toBeUndefined();
        continue;
      }
      tally.ok++;
      if (kind === "put") {
        const node = await call(fresh, "GET", `/api/nodes/W${i}`);
        expect(node.status).toBe(200);
        expect((node.json as { data: unknown }).data).toEqual({ i });
      } else {
        expect(shared.data[`w${i}`]).toBe(true);
      }
    }
    expect(shared.data.base).toBe(true);
    // Writers really collided (and rebased, or gave up).
    expect(events.some((e) => e.type === "conflict_retry" || e.type === "conflict_gave_up")).toBe(true);
    // The graph verifies, holds exactly the committed changes, and every isolate converges on it.
    const integrity = await call(fresh, "GET", "/api/integrity");
    expect(integrity.status).toBe(200);
    expect((integrity.json as { ok: boolean }).ok, JSON.stringify(integrity.json)).toBe(true);
    const stats = (await call(fresh, "GET", "/api/graph/stats")).json as { seq: number };
    expect(stats.seq).toBe(tally.ok);
    for (const app of isolates) expect((await call(app, "GET", "/api/graph/stats")).json).toEqual(stats);
    console.log(
      `concurrency (${maxAttempts ?? "default"} attempts): ${tally.ok} committed, ${tally.conflict} × 409 in ${ms} ms`,
    );
    expect(tally.ok).toBeGreaterThan(0);
    if (maxAttempts !== undefined) expect(tally.conflict).toBeGreaterThan(0);
  });
});
