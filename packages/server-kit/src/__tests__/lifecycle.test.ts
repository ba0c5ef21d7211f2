import { once } from "node:events";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../lifecycle.js";

const silent = pino({ level: "silent" });
const running: RunningServer[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) {
    server.server.closeAllConnections();
    await server.shutdown("test cleanup");
  }
});

/** A server whose `/slow` answers only when the test says so. */
async function start(shutdownTimeoutMs = 5_000) {
  const readiness = { ready: true };
  const pending: Array<() => void> = [];
  const server = await serve({
    app: (req, res) => {
      if (req.url === "/slow") {
        pending.push(() => res.end("slow done"));
        return;
      }
      res.end(readiness.ready ? "ready" : "not ready");
    },
    port: 0,
    host: "127.0.0.1",
    logger: silent,
    readiness,
    shutdownTimeoutMs,
  });
  running.push(server);
  const released = async () => {
    while (pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { server, readiness, pending, released };
}

function get(port: number, path: string, agent?: Agent) {
  return new Promise<{ res: IncomingMessage; body: string; socket: Socket }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent }, (res) => {
      const socket = res.socket;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ res, body, socket }));
    });
    req.on("error", reject);
    req.end();
  });
}

function connectionRefused(port: number) {
  return new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
  });
}

describe("serve", () => {
  it("sets keep-alive above the ALB's 60 s idle timeout", async () => {
    const { server } = await start();
    expect(server.server.keepAliveTimeout).toBe(65_000);
    expect(server.server.headersTimeout).toBeGreaterThan(65_000);
  });

  it("lets an in-flight request finish, refuses new connections, then closes", async () => {
    const { server, readiness, pending, released } = await start();
    const slow = get(server.port, "/slow");
    await released();

    const stopped = server.shutdown("SIGTERM");
    expect(readiness.ready).toBe(false);
    expect(await connectionRefused(server.port)).toBe("ECONNREFUSED");

    pending[0]?.();
    const { res, body } = await slow;
    expect(body).toBe("slow done");
    expect(res.headers.connection).toBe("close");
    await stopped;
    expect(server.server.listening).toBe(false);
  });

  it("closes idle keep-alive connections at once", async () => {
    const { server } = await start();
    const agent = new Agent({ keepAlive: true });
    const first = await get(server.port, "/", agent);
    expect(first.res.headers.connection).toBe("keep-alive");
    const socket = first.socket;
    const closed = once(socket, "close");

    const started = Date.now();
    await server.shutdown("SIGTERM");
    await closed;
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });

  it("cuts requests still open when the shutdown timeout ends", async () => {
    const { server, released } = await start(200);
    const slow = get(server.port, "/slow").catch((err: NodeJS.ErrnoException) => err.code);
    await released();
    const started = Date.now();
    await server.shutdown("SIGTERM");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await slow).toBe("ECONNRESET");
  });

  it("is idempotent", async () => {
    const { server } = await start();
    const first = server.shutdown("SIGTERM");
    expect(server.shutdown("SIGINT")).toBe(first);
    await first;
  });
});
