import { describe, expect, it } from "vitest";
import { call, freshGraphEnv } from "./support.ts";

interface Session {
  id: string;
  chat_history: { role: string; content: string; at: string }[];
}

/**
 * Sessions live in the `GraphObject`'s database: a message is one insert in one transaction,
 * so concurrent appends cannot lose each other (R2 allowed about one write per second per key).
 */
describe("sessions in the Worker (GraphObject)", () => {
  it("messages posted at once all land; each POST answers its message", async () => {
    const workerEnv = freshGraphEnv();
    const session = (await call(workerEnv, "POST", "/api/sessions")).json as Session;
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(workerEnv, "POST", `/api/sessions/${session.id}/messages`, {
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
    const read = (await call(workerEnv, "GET", `/api/sessions/${session.id}`)).json as Session;
    expect(read.chat_history.map((m) => m.content).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `m${i}`).sort(),
    );
  });

  it("DELETE removes the session: 204, then 404", async () => {
    const workerEnv = freshGraphEnv();
    const session = (await call(workerEnv, "POST", "/api/sessions")).json as Session;
    await call(workerEnv, "POST", `/api/sessions/${session.id}/messages`, { role: "user", content: "x" });
    expect((await call(workerEnv, "DELETE", `/api/sessions/${session.id}`)).status).toBe(204);
    expect((await call(workerEnv, "GET", `/api/sessions/${session.id}`)).status).toBe(404);
    expect((await call(workerEnv, "DELETE", `/api/sessions/${session.id}`)).status).toBe(404);
    const post = await call(workerEnv, "POST", `/api/sessions/${session.id}/messages`, {
      role: "user",
      content: "y",
    });
    expect(post.status).toBe(404);
  });
});
