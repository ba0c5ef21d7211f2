import { once } from "node:events";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HTTP_TIMEOUTS, type RunningServer, serve, signalHandler } from "../lifecycle.js";

const silent = pino({ level: "silent" });
const running: RunningServer[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const server of running.splice(0)) {
    server.server.closeAllConnections();
    await server.shutdown("test cleanup");
  }
});

/** A server whose `/slow` answers only when the test says so; others answer its readiness. */
async function start(
  shutdownTimeoutMs = 5_000,
  drain: { drainMs?: number; drainEndsWhenIdle?: boolean } = {},
) {
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
    ...drain,
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
  it("sets keep-alive above the ALB's 60 s idle timeout, and explicit request timeouts", async () => {
    const { server } = await start();
    expect(server.server.keepAliveTimeout).toBe(65_000);
    expect(server.server.headersTimeout).toBe(10_000);
    expect(server.server.requestTimeout).toBe(30_000);
    expect(HTTP_TIMEOUTS.keepAliveMs).toBeGreaterThan(60_000);
  });

  it("keeps an idle keep-alive connection longer than the headers timeout", async () => {
    // Node before 18 timed headers from the previous request, which cut reused connections.
    const readiness = { ready: true };
    const server = await serve({
      app: (_req, res) => res.end("ok"),
      port: 0,
      host: "127.0.0.1",
      logger: silent,
      readiness,
      shutdownTimeoutMs: 1_000,
      headersTimeoutMs: 100,
      requestTimeoutMs: 200,
    });
    running.push(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(server.port, "/", agent);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const second = await get(server.port, "/", agent);
    expect(second.body).toBe("ok");
    expect(second.socket).toBe(first.socket);
    agent.destroy();
  });

  it("answers a client that trickles its headers with 408 after the headers timeout", async () => {
    const server = await serve({
      app: (_req, res) => res.end("ok"),
      port: 0,
      host: "127.0.0.1",
      logger: silent,
      readiness: { ready: true },
      shutdownTimeoutMs: 1_000,
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
    });
    running.push(server);
    const socket = connect(server.port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: test\r\n");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk;
    });
    const started = Date.now();
    await once(socket, "close");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // Enforced within HTTP_TIMEOUTS.checkIntervalMs, not Node's default 30 s.
    expect(Date.now() - started).toBeLessThan(300 + HTTP_TIMEOUTS.checkIntervalMs + 500);
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

describe("serve: the drain", () => {
  it("goes not ready, keeps serving through the drain, then closes, then lets in-flight requests finish", async () => {
    const drainMs = 400;
    const { server, readiness, pending, released } = await start(5_000, { drainMs });
    const events: string[] = [];
    const slow = get(server.port, "/slow").then((answer) => {
      events.push("in-flight finished");
      return answer;
    });
    await released();

    const begin = Date.now();
    const stopped = server.shutdown("SIGTERM");
    expect(readiness.ready).toBe(false);
    expect(server.phase).toBe("draining");
    events.push("not ready");

    // Still serving during the drain: a new connection gets an answer (and hears "not ready").
    const during = await get(server.port, "/");
    expect(during.body).toBe("not ready");
    expect(during.res.headers.connection).toBe("keep-alive");
    events.push("served during the drain");

    while (server.phase === "draining") await new Promise((resolve) => setTimeout(resolve, 5));
    expect(Date.now() - begin).toBeGreaterThanOrEqual(drainMs - 20);
    expect(await connectionRefused(server.port)).toBe("ECONNREFUSED");
    events.push("closed");

    pending[0]?.();
    const { res, body } = await slow;
    expect(body).toBe("slow done");
    expect(res.headers.connection).toBe("close");
    await stopped;
    expect(server.phase).toBe("stopped");
    expect(events).toEqual([
      "not ready",
      "served during the drain",
      "closed",
      "in-flight finished",
    ]);
  });

  it("lasts exactly drainMs, then closes (fake clock)", async () => {
    const { server } = await start(5_000, { drainMs: 15_000 });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const stopped = server.shutdown("SIGTERM");
    await vi.advanceTimersByTimeAsync(14_999);
    expect(server.phase).toBe("draining");
    await vi.advanceTimersByTimeAsync(1);
    expect(server.phase).not.toBe("draining");
    vi.useRealTimers();
    await stopped;
    expect(server.phase).toBe("stopped");
  });

  it("ends early on endDrain (a second signal), and only then", async () => {
    const { server } = await start(5_000, { drainMs: 30_000 });
    expect(server.endDrain("SIGTERM")).toBe(false);
    const begin = Date.now();
    const stopped = server.shutdown("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.phase).toBe("draining");
    expect(server.endDrain("SIGTERM")).toBe(true);
    await stopped;
    expect(Date.now() - begin).toBeLessThan(1_000);
    expect(server.endDrain("SIGTERM")).toBe(false);
  });

  it("skips the drain when asked (Ctrl-C)", async () => {
    const { server } = await start(5_000, { drainMs: 30_000 });
    const begin = Date.now();
    await server.shutdown("SIGINT", { drain: false });
    expect(Date.now() - begin).toBeLessThan(1_000);
  });

  it("without drainEndsWhenIdle, no connection does not shorten the drain", async () => {
    const { server } = await start(5_000, { drainMs: 300 });
    const begin = Date.now();
    await server.shutdown("SIGTERM");
    expect(Date.now() - begin).toBeGreaterThanOrEqual(280);
  });

  it("with drainEndsWhenIdle, ends when the last connection closes", async () => {
    const { server } = await start(5_000, { drainMs: 30_000, drainEndsWhenIdle: true });
    const agent = new Agent({ keepAlive: true });
    await get(server.port, "/", agent);
    const stopped = server.shutdown("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The load balancer still holds a connection: keep serving.
    expect(server.phase).toBe("draining");
    expect((await get(server.port, "/", agent)).body).toBe("not ready");

    const begin = Date.now();
    agent.destroy();
    await stopped;
    expect(Date.now() - begin).toBeLessThan(1_000);
  });

  it("with drainEndsWhenIdle and no connection open, closes at once", async () => {
    const { server } = await start(5_000, { drainMs: 30_000, drainEndsWhenIdle: true });
    const begin = Date.now();
    await server.shutdown("SIGTERM");
    expect(Date.now() - begin).toBeLessThan(1_000);
  });
});

describe("signalHandler", () => {
  function fakeServer() {
    let draining = false;
    const calls: string[] = [];
    const server = {
      shutdown: vi.fn((reason: string, options?: { drain?: boolean }) => {
        calls.push(`shutdown ${reason} drain=${options?.drain !== false}`);
        draining = options?.drain !== false;
        return new Promise<void>(() => {});
      }),
      endDrain: vi.fn((reason: string) => {
        calls.push(`endDrain ${reason}`);
        const was = draining;
        draining = false;
        return was;
      }),
    };
    return { server, calls };
  }

  it("SIGTERM drains; a second signal ends the drain; a third exits 1 at once", () => {
    const { server, calls } = fakeServer();
    const exit = vi.fn();
    const onSignal = signalHandler(server, silent, exit);
    onSignal("SIGTERM");
    onSignal("SIGTERM");
    expect(exit).not.toHaveBeenCalled();
    onSignal("SIGTERM");
    expect(calls).toEqual(["shutdown SIGTERM drain=true", "endDrain SIGTERM", "endDrain SIGTERM"]);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it("SIGINT skips the drain; a second one exits 1", () => {
    const { server, calls } = fakeServer();
    const exit = vi.fn();
    const onSignal = signalHandler(server, silent, exit);
    onSignal("SIGINT");
    onSignal("SIGINT");
    expect(calls).toEqual(["shutdown SIGINT drain=false", "endDrain SIGINT"]);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it("exits 0 once the shutdown is done", async () => {
    const exit = vi.fn();
    const onSignal = signalHandler(
      { shutdown: () => Promise.resolve(), endDrain: () => false },
      silent,
      exit,
    );
    onSignal("SIGTERM");
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
  });
});
