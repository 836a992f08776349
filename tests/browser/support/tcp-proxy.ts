import { connect, createServer, type Server, type Socket } from "node:net";

/** The head of one HTTP request that went through the proxy. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
}

/**
 * A loopback TCP proxy in front of a server under test, so a test can cut the browser's
 * connections as a network or a server restart would — without restarting the server, and the
 * same way in front of the Node server or `wrangler dev`. It also reads the head of every
 * request the browser sends (HTTP/1.1 over plain TCP), so a test can check what a reconnect
 * asked for (its `Last-Event-ID`).
 */
export class TcpProxy {
  readonly requests: SeenRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #down = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on a free loopback port and forwards every connection to `target` (`http://host:port/`). */
  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(target);
    let proxy!: TcpProxy;
    const server = createServer((client) => proxy.#accept(client, hostname, Number(port)));
    proxy = new TcpProxy(server);
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    return proxy;
  }

  /** `http://127.0.0.1:<port>/` */
  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy is not listening");
    return `http://127.0.0.1:${address.port}/`;
  }

  /** Cuts every open connection (a reset, as a dropped network gives) and refuses new ones until `up()`. */
  down(): void {
    this.#down = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  up(): void {
    this.#down = false;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((closed) => this.#server.close(() => closed()));
  }

  #accept(client: Socket, host: string, port: number): void {
    if (this.#down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      // A cut connection errors on both sides: that is the point, not a failure of the test.
      socket.on("error", () => {});
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    const reader = new RequestHeadReader((request) => this.requests.push(request));
    client.on("data", (chunk: Buffer) => reader.push(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Reads request heads from one connection's bytes, skipping bodies by `Content-Length`. */
class RequestHeadReader {
  #buffer = Buffer.alloc(0);
  #skip = 0;

  constructor(readonly onRequest: (request: SeenRequest) => void) {}

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#buffer.length);
        this.#buffer = this.#buffer.subarray(n);
        this.#skip -= n;
        if (this.#skip > 0) return;
      }
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [line = "", ...fields] = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
      this.#buffer = this.#buffer.subarray(end + 4);
      const [method = "", path = ""] = line.split(" ");
      const headers: Record<string, string> = {};
      for (const field of fields) {
        const colon = field.indexOf(":");
        if (colon > 0) headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
      }
      this.#skip = Number(headers["content-length"] ?? 0) || 0;
      this.onRequest({ method, path, headers });
    }
  }
}
