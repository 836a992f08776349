/**
 * The HTTP side of the fuzz test (tests/http/fuzz.test.ts): one request as sent (raw bytes,
 * chosen headers, chunked or not, any method and path) over a keep-alive agent, and its reply.
 */
import { type Agent, type IncomingHttpHeaders, request } from "node:http";
import { TEST_TOKEN } from "../../support/processes.ts";

export const REQUEST_TIMEOUT_MS = 60_000;

export interface Spec {
  /** The class of hostile request, for reports. */
  cls: string;
  method: string;
  /** Sent as it is (already percent-encoded as wanted). */
  path: string;
  body?: Buffer;
  /** `undefined`: `application/json` when there is a body; `null`: no content type. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** The Authorization header: `undefined` → `Bearer <token>`, `null` → none. */
  auth?: string | null;
  /** Sent with `Transfer-Encoding: chunked` (no length). */
  chunked?: boolean;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function send(port: number, agent: Agent, spec: Spec): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...spec.headers };
    const auth = spec.auth === undefined ? `Bearer ${TEST_TOKEN}` : spec.auth;
    if (auth !== null) headers.authorization = auth;
    if (spec.body !== undefined) {
      const type = spec.contentType === undefined ? "application/json" : spec.contentType;
      if (type !== null) headers["content-type"] = type;
      if (!spec.chunked) headers["content-length"] = String(spec.body.length);
    }
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: spec.method,
        path: spec.path,
        headers,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("close", () => {
          if (!res.complete) reject(new Error("incomplete response"));
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    const body = spec.body;
    if (body === undefined) req.end();
    else if (spec.chunked) {
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        req.write(body.subarray(offset, offset + 64 * 1024));
      }
      req.end();
    } else req.end(body);
  });
}

export function show(spec: Spec): string {
  let body = "";
  if (spec.body !== undefined) {
    const text =
      spec.body.length <= 240
        ? spec.body.toString("utf8")
        : `${spec.body.subarray(0, 120).toString("utf8")}…${spec.body.subarray(-120).toString("utf8")}`;
    body = ` body(${spec.body.length} B${spec.chunked ? ", chunked" : ""}${
      spec.contentType === undefined ? "" : `, ${spec.contentType ?? "no content type"}`
    })=${JSON.stringify(text)}`;
  }
  const auth = spec.auth === undefined ? "" : ` auth=${JSON.stringify(spec.auth?.slice(0, 40) ?? null)}`;
  const headers = spec.headers ? ` headers=${JSON.stringify(spec.headers)}` : "";
  return `[${spec.cls}] ${spec.method} ${spec.path.slice(0, 200)}${auth}${headers}${body}`;
}

export const jsonBody = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
