import { once } from "node:events";
import {
  type Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  request,
  type Server,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createLogger, type Logger } from "@repo/server-kit/logger";
import { createEdge, type Edge, type EdgeOptions } from "../router.js";

/** Everything a test starts, stopped in afterEach whether the test passed or not. */
export class Cleanup {
  #tasks: Array<() => unknown> = [];

  defer(task: () => unknown): void {
    this.#tasks.push(task);
  }

  async run(): Promise<void> {
    const tasks = this.#tasks.reverse();
    this.#tasks = [];
    for (const task of tasks) await task();
  }
}

export interface Listening {
  server: Server;
  port: number;
  url: string;
}

export async function listen(
  cleanup: Cleanup,
  listener: RequestListener,
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<Listening> {
  const server = createServer(listener);
  if (onUpgrade) server.on("upgrade", onUpgrade);
  // closeAllConnections() does not know upgraded sockets; these are destroyed too.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.defer(() => {
    const closed = closeServer(server);
    for (const socket of sockets) socket.destroy();
    return closed;
  });
  const { port } = server.address() as AddressInfo;
  return { server, port, url: `http://127.0.0.1:${port}` };
}

export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

export function captureLogs(): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { level: "debug", service: "edge-test", version: "test", commit: "test", environment: "test" },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

export interface RunningEdge {
  edge: Edge;
  proxy: Listening;
  admin: Listening;
  logs: LogCapture;
}

export async function startEdge(
  cleanup: Cleanup,
  options: Partial<EdgeOptions> = {},
): Promise<RunningEdge> {
  const logs = captureLogs();
  const edge = createEdge({ logger: logs.logger, adminToken: TEST_TOKEN, ...options });
  cleanup.defer(() => edge.close());
  const proxy = await listen(cleanup, edge.proxy, edge.upgrade);
  const admin = await listen(cleanup, edge.admin);
  return { edge, proxy, admin, logs };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  host?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

/** An HTTP request with full control of the Host header (fetch does not allow setting it). */
export function send(port: number, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The admin token of the edges these tests start. */
export const TEST_TOKEN = "test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/** Headers every admin request needs. */
export const ADMIN = { authorization: `Bearer ${TEST_TOKEN}` } as const;

export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An upstream that answers every request with its own name, and what it was sent. */
export function named(name: string): RequestListener {
  return (req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ name, url: req.url, method: req.method, headers: req.headers }));
  };
}
