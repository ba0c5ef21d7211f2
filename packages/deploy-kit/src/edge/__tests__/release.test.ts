import { Agent, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EdgeAdminClient } from "../client.js";
import {
  Cleanup,
  closeServer,
  listen,
  named,
  send,
  startEdge,
  TEST_TOKEN,
  until,
} from "./helpers.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function keepAliveAgent(maxSockets: number): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets });
  cleanup.defer(() => agent.destroy());
  return agent;
}

describe("a release: swap, drain, stop", () => {
  it("fails no request while the route swaps and the old upstream drains and closes", async () => {
    const { proxy, admin } = await startEdge(cleanup);
    const client = new EdgeAdminClient(admin.url, { token: TEST_TOKEN });
    const blue = await listen(cleanup, named("blue"));
    const green = await listen(cleanup, named("green"));
    await client.setRoute("api.localhost", blue.url);

    const agent = keepAliveAgent(20);
    const total = 2_000;
    let next = 0;
    let swapped = false;
    let oldClosed = false;
    let startedAfterOldClosed = 0;
    let stopOld: Promise<void> | undefined;
    const failures: string[] = [];
    const seen = { beforeSwap: new Set<string>(), afterSwap: new Set<string>() };

    // What the deploy CLI does: switch, wait until the old upstream has nothing in flight, stop it.
    const release = async () => {
      await client.setRoute("api.localhost", green.url);
      swapped = true;
      await until(async () => (await client.inFlight(blue.url)) === 0, "blue to drain");
      await closeServer(blue.server);
      oldClosed = true;
    };

    const worker = async () => {
      while (next < total) {
        const index = next++;
        if (index === total / 2) stopOld = release();
        const afterSwap = swapped;
        if (oldClosed) startedAfterOldClosed++;
        try {
          const reply = await send(proxy.port, {
            host: "api.localhost",
            path: `/n/${index}`,
            agent,
          });
          if (reply.status !== 200) failures.push(`#${index}: ${reply.status} ${reply.body}`);
          else (afterSwap ? seen.afterSwap : seen.beforeSwap).add(JSON.parse(reply.body).name);
        } catch (err) {
          failures.push(`#${index}: ${String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    await stopOld;

    expect(failures).toEqual([]);
    expect(oldClosed).toBe(true);
    expect(startedAfterOldClosed).toBeGreaterThan(0);
    expect(seen.beforeSwap).toContain("blue");
    expect([...seen.afterSwap]).toEqual(["green"]);
    const stats = await client.stats();
    expect(stats[blue.url]?.inFlight).toBe(0);
    expect(stats[green.url]?.inFlight).toBe(0);
    expect((stats[blue.url]?.total ?? 0) + (stats[green.url]?.total ?? 0)).toBe(total);
  });

  it("lets a slow request on the old upstream finish, counted in flight until it does", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    let release: (() => void) | undefined;
    const blue = await listen(cleanup, (req, res) => {
      if (req.url === "/slow") {
        res.write("started;");
        release = () => res.end("blue done");
        return;
      }
      named("blue")(req, res);
    });
    const green = await listen(cleanup, named("green"));
    edge.routes.set("api.localhost", blue.url);

    const slow = send(proxy.port, { host: "api.localhost", path: "/slow" });
    await until(() => release !== undefined, "the slow request to reach blue");
    edge.routes.set("api.localhost", green.url);
    const after = await send(proxy.port, { host: "api.localhost" });

    expect(JSON.parse(after.body).name).toBe("green");
    expect(edge.traffic.get(blue.url).inFlight).toBe(1);
    release?.();
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe("started;blue done");
    await until(() => edge.traffic.get(blue.url).inFlight === 0, "blue to drain");
  });

  it("lets go of the old upstream: idle connections close at the swap, busy ones after their response", async () => {
    // What ends a drained container's drain locally (SHUTDOWN_DRAIN_ENDS_WHEN_IDLE), as the ALB
    // closes its connections to a target it has deregistered.
    const { edge, proxy } = await startEdge(cleanup);
    let release: (() => void) | undefined;
    const blue = await listen(cleanup, (req, res) => {
      if (req.url === "/slow") {
        release = () => res.end("blue done");
        return;
      }
      named("blue")(req, res);
    });
    const green = await listen(cleanup, named("green"));
    const open = () =>
      new Promise<number>((resolve, reject) =>
        blue.server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
      );
    edge.routes.set("api.localhost", blue.url);
    const agent = keepAliveAgent(4);
    await Promise.all(
      Array.from({ length: 4 }, () => send(proxy.port, { host: "api.localhost", agent })),
    );
    const slow = send(proxy.port, { host: "api.localhost", path: "/slow" });
    await until(() => release !== undefined, "the slow request to reach blue");
    // While routed, the edge keeps its pooled connections to blue.
    edge.routes.set("web.localhost", green.url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await open()).toBeGreaterThanOrEqual(2);

    edge.routes.set("api.localhost", green.url);
    await until(async () => (await open()) === 1, "blue's idle connections to close");
    release?.();
    expect((await slow).body).toBe("blue done");
    await until(async () => (await open()) === 0, "blue's last connection to close");
    const after = await send(proxy.port, { host: "api.localhost", agent });
    expect(JSON.parse(after.body).name).toBe("green");
  });

  it("keeps the client's keep-alive connection across a swap", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const blue = await listen(cleanup, named("blue"));
    const green = await listen(cleanup, named("green"));
    edge.routes.set("api.localhost", blue.url);
    const sockets = new Set<Socket>();
    proxy.server.on("connection", (socket: Socket) => sockets.add(socket));
    const agent = keepAliveAgent(1);

    const first = await send(proxy.port, { host: "api.localhost", agent });
    edge.routes.set("api.localhost", green.url);
    const second = await send(proxy.port, { host: "api.localhost", agent });

    expect(JSON.parse(first.body).name).toBe("blue");
    expect(JSON.parse(second.body).name).toBe("green");
    expect(sockets.size).toBe(1);
  });
});

/** Destroys the socket, without answering, on the 2nd request of every connection. */
function dropsSecondRequest(requests: string[]) {
  const counts = new WeakMap<Socket, number>();
  return (req: IncomingMessage, res: ServerResponse) => {
    const count = (counts.get(req.socket) ?? 0) + 1;
    counts.set(req.socket, count);
    requests.push(`${req.method} ${count}`);
    if (count === 2) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on("end", () => res.end(`ok ${count}`));
  };
}

describe("retry", () => {
  it("resends a GET once when the reused upstream socket is reset before answering", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const requests: string[] = [];
    const flaky = await listen(cleanup, dropsSecondRequest(requests));
    edge.routes.set("api.localhost", flaky.url);

    const first = await send(proxy.port, { host: "api.localhost" });
    const second = await send(proxy.port, { host: "api.localhost" });

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toBe("ok 1");
    expect(requests).toEqual(["GET 1", "GET 2", "GET 1"]);
    expect(edge.traffic.get(flaky.url)).toEqual({ inFlight: 0, total: 2, tunnels: 0 });
  });

  it("resends a POST without a body the same way", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const requests: string[] = [];
    const flaky = await listen(cleanup, dropsSecondRequest(requests));
    edge.routes.set("api.localhost", flaky.url);

    await send(proxy.port, { host: "api.localhost", method: "POST" });
    const second = await send(proxy.port, { host: "api.localhost", method: "POST" });

    expect(second.status).toBe(200);
    expect(requests).toEqual(["POST 1", "POST 2", "POST 1"]);
  });

  it("does not resend a POST whose body was already sent: 502", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const requests: string[] = [];
    const flaky = await listen(cleanup, dropsSecondRequest(requests));
    edge.routes.set("api.localhost", flaky.url);

    await send(proxy.port, { host: "api.localhost", method: "POST", body: "one" });
    const second = await send(proxy.port, { host: "api.localhost", method: "POST", body: "two" });

    expect(second.status).toBe(502);
    expect(JSON.parse(second.body)).toMatchObject({ code: "bad_gateway" });
    expect(requests).toEqual(["POST 1", "POST 2"]);
  });

  it("retries a refused connection, body included, against the route's current upstream", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const gone = await listen(cleanup, named("gone"));
    await closeServer(gone.server);
    const green = await listen(cleanup, (req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => res.end(JSON.stringify({ name: "green", body })));
    });
    edge.routes.set("api.localhost", gone.url);
    // Runs right after the edge has routed the request to `gone`, before its connection fails.
    proxy.server.once("request", () => edge.routes.set("api.localhost", green.url));

    const reply = await send(proxy.port, {
      host: "api.localhost",
      method: "POST",
      body: "payload",
    });

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ name: "green", body: "payload" });
    expect(edge.traffic.get(gone.url)).toMatchObject({ inFlight: 0, total: 0 });
    expect(edge.traffic.get(green.url)).toMatchObject({ inFlight: 0, total: 1 });
  });
});
