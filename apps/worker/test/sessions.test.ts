import { ManualClock } from "@dawsos/core";
import { describe, expect, it } from "vitest";
import { call, newIsolate, uniquePrefix } from "./support.ts";

interface Session {
  id: string;
  chat_history: { role: string; content: string; at: string }[];
}

/**
 * Sessions over R2, which has no append: each message is a compare-and-swap rewrite of
 * `sessions/<id>.json`, so isolates appending at once must not lose messages. Retention reads
 * R2's upload times from one `list`.
 */
describe("sessions in the Worker (R2)", () => {
  it("messages posted through several isolates at once all land; each POST answers its message", async () => {
    const prefix = uniquePrefix("sessions");
    const isolates = await Promise.all(Array.from({ length: 4 }, () => newIsolate(prefix)));
    const session = (await call(isolates[0]!, "POST", "/api/sessions")).json as Session;
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(isolates[i % isolates.length]!, "POST", `/api/sessions/${session.id}/messages`, {
          role: i % 2 === 0 ? "user" : "assistant",
          content: `m${i}`,
        }),
      ),
    );
    for (const [i, reply] of replies.entries()) {
      expect(reply.status).toBe(201);
      expect(reply.json).toMatchObject({ content: `m${i}` });
      expect(Object.keys(reply.json as object).sort()).toEqual(["at", "content", "role"]);
    }
    const read = (await call(isolates[3]!, "GET", `/api/sessions/${session.id}`)).json as Session;
    expect(read.chat_history.map((m) => m.content).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `m${i}`).sort(),
    );
  });

  it("DELETE removes the session from R2: 204, then 404 from every isolate", async () => {
    const prefix = uniquePrefix("sessions-delete");
    const [a, b] = await Promise.all([newIsolate(prefix), newIsolate(prefix)]);
    const session = (await call(a!, "POST", "/api/sessions")).json as Session;
    await call(a!, "POST", `/api/sessions/${session.id}/messages`, { role: "user", content: "x" });
    expect((await call(b!, "DELETE", `/api/sessions/${session.id}`)).status).toBe(204);
    expect((await call(a!, "GET", `/api/sessions/${session.id}`)).status).toBe(404);
    expect((await call(a!, "DELETE", `/api/sessions/${session.id}`)).status).toBe(404);
    const post = await call(a!, "POST", `/api/sessions/${session.id}/messages`, {
      role: "user",
      content: "y",
    });
    expect(post.status).toBe(404);
  });

  it("retention by count and by age, judged from R2's upload times", async () => {
    const prefix = uniquePrefix("sessions-retention");
    const small = await newIsolate(prefix, { sessions: { maxSessions: 3 } });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(((await call(small, "POST", "/api/sessions")).json as Session).id);
    const status = async (id: string) => (await call(small, "GET", `/api/sessions/${id}`)).status;
    const kept = [];
    for (const id of made) if ((await status(id)) === 200) kept.push(id);
    expect(kept).toHaveLength(3);
    expect(kept).toContain(made[4]);

    // An isolate whose clock is 31 days ahead sees every session as idle past 30 days.
    const later = new ManualClock(new Date(Date.now() + 31 * 24 * 60 * 60 * 1000));
    const aged = await newIsolate(prefix, { sessions: { clock: later } });
    const fresh = ((await call(aged, "POST", "/api/sessions")).json as Session).id;
    for (const id of kept) expect(await status(id)).toBe(404);
    expect(await status(fresh)).toBe(200);
  });
});
