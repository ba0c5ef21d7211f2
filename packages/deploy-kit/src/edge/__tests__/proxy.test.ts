import { once } from "node:events";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseHostHeader } from "../proxy.js";
import { Cleanup, listen, named, send, startEdge, until } from "./helpers.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe("routing", () => {
  it("routes by Host, with or without a port, in any case", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, named("api"));
    const web = await listen(cleanup, named("web"));
    edge.routes.set("api.localhost", api.url);
    edge.routes.set("web.localhost", web.url);

    const viaPort = await send(proxy.port, { host: `api.localhost:${proxy.port}` });
    const noPort = await send(proxy.port, { host: "web.localhost" });
    const upper = await send(proxy.port, { host: "API.Localhost." });

    expect(viaPort.status).toBe(200);
    expect(JSON.parse(viaPort.body).name).toBe("api");
    expect(JSON.parse(noPort.body).name).toBe("web");
    expect(JSON.parse(upper.body).name).toBe("api");
  });

  it("forwards method, path, query and end-to-end headers, and sets x-forwarded-*", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, named("api"));
    edge.routes.set("api.localhost", api.url);

    const reply = await send(proxy.port, {
      host: "api.localhost:8000",
      method: "DELETE",
      path: "/v1/notes/7?force=1",
      headers: {
        "x-custom": "kept",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-host": "spoofed.example",
        connection: "keep-alive, x-hop",
        "x-hop": "dropped, named by Connection",
        "proxy-authorization": "Basic dropped",
        te: "trailers",
      },
    });
    const seen = JSON.parse(reply.body);

    expect(seen.method).toBe("DELETE");
    expect(seen.url).toBe("/v1/notes/7?force=1");
    expect(seen.headers.host).toBe("api.localhost:8000");
    expect(seen.headers["x-custom"]).toBe("kept");
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe("api.localhost:8000");
    expect(seen.headers["x-forwarded-port"]).toBe("8000");
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
  });

  it("reports port 80 when the Host header has none", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, named("api"));
    edge.routes.set("api.localhost", api.url);

    const seen = JSON.parse((await send(proxy.port, { host: "api.localhost" })).body);

    expect(seen.headers["x-forwarded-port"]).toBe("80");
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("keeps a well-formed x-request-id and replaces a malformed one, on both sides", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, named("api"));
    edge.routes.set("api.localhost", api.url);

    const kept = await send(proxy.port, {
      host: "api.localhost",
      headers: { "x-request-id": "abc-123" },
    });
    const made = await send(proxy.port, {
      host: "api.localhost",
      headers: { "x-request-id": "has spaces <script>" },
    });

    expect(JSON.parse(kept.body).headers["x-request-id"]).toBe("abc-123");
    expect(kept.headers["x-request-id"]).toBe("abc-123");
    const madeId = JSON.parse(made.body).headers["x-request-id"];
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.headers["x-request-id"]).toBe(madeId);
  });

  it("passes status, response headers and repeated Set-Cookie through, minus hop-by-hop ones", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, (_req, res) => {
      res.writeHead(201, {
        "set-cookie": ["a=1", "b=2"],
        "x-app": "yes",
        "keep-alive": "timeout=5",
        "content-type": "text/plain",
      });
      res.end("created");
    });
    edge.routes.set("api.localhost", api.url);

    const reply = await send(proxy.port, { host: "api.localhost", method: "POST", body: "x" });

    expect(reply.status).toBe(201);
    expect(reply.body).toBe("created");
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(reply.headers["x-app"]).toBe("yes");
    expect(reply.headers["keep-alive"]).toBeUndefined();
  });

  it("streams request and response bodies without buffering them", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    let received = "";
    const upstreamGot = new Set<string>();
    const api = await listen(cleanup, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      req.on("data", (chunk: Buffer) => {
        received += chunk.toString();
        upstreamGot.add(received);
        // Echo each chunk as it arrives: the client sees it before it sends the next one.
        res.write(`echo:${chunk.toString()};`);
      });
      req.on("end", () => res.end("done"));
    });
    edge.routes.set("api.localhost", api.url);

    const req = request({
      host: "127.0.0.1",
      port: proxy.port,
      method: "POST",
      path: "/upload",
      headers: { host: "api.localhost", "transfer-encoding": "chunked" },
      agent: false,
    });
    req.write("one");
    const [res] = (await once(req, "response")) as [import("node:http").IncomingMessage];
    let seen = "";
    res.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
    });
    await until(() => seen.includes("echo:one;"), "the first echo before the body ends");
    req.write("two");
    await until(() => seen.includes("echo:two;"), "the second echo");
    req.end();
    await once(res, "end");

    expect(received).toBe("onetwo");
    expect(seen).toBe("echo:one;echo:two;done");
  });

  it("forwards a large body with content-length intact", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const api = await listen(cleanup, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        res.end(JSON.stringify({ length: body.length, declared: req.headers["content-length"] }));
      });
    });
    edge.routes.set("api.localhost", api.url);
    const body = Buffer.alloc(3 * 1024 * 1024, 7);

    const reply = await send(proxy.port, { host: "api.localhost", method: "PUT", body });

    expect(JSON.parse(reply.body)).toEqual({ length: body.length, declared: String(body.length) });
  });

  it("answers 502 JSON when the upstream is down", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const gone = await listen(cleanup, named("gone"));
    gone.server.close();
    await once(gone.server, "close");
    edge.routes.set("api.localhost", gone.url);

    const reply = await send(proxy.port, {
      host: "api.localhost",
      headers: { "x-request-id": "req-502" },
    });

    expect(reply.status).toBe(502);
    expect(reply.headers["content-type"]).toMatch(/application\/json/);
    const body = JSON.parse(reply.body);
    expect(body).toMatchObject({ code: "bad_gateway", requestId: "req-502" });
    expect(body.message).toMatch(/^api\.localhost is not answering: .*ECONNREFUSED/);
    expect(edge.traffic.get(gone.url)).toEqual({ inFlight: 0, total: 1, tunnels: 0 });
  });

  it("answers 504 when the upstream sends no response headers in time", async () => {
    const { edge, proxy } = await startEdge(cleanup, { upstreamTimeoutMs: 100 });
    const stuck = await listen(cleanup, () => {});
    edge.routes.set("api.localhost", stuck.url);

    const reply = await send(proxy.port, { host: "api.localhost" });

    expect(reply.status).toBe(504);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "gateway_timeout" });
  });

  it("logs one JSON access line per request", async () => {
    const { edge, proxy, logs } = await startEdge(cleanup);
    const api = await listen(cleanup, named("api"));
    edge.routes.set("api.localhost", api.url);

    await send(proxy.port, { host: "api.localhost", path: "/v1/x?token=secret" });
    await until(() => logs.lines.some((line) => line.msg === "request"), "the access log");

    const line = logs.lines.find((entry) => entry.msg === "request");
    expect(line).toMatchObject({
      level: "info",
      host: "api.localhost",
      method: "GET",
      path: "/v1/x",
      status: 200,
      upstream: api.url,
    });
    expect(typeof line?.ms).toBe("number");
  });

  it("stops counting and aborts the upstream when the client goes away", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    let upstreamClosed = false;
    const slow = await listen(cleanup, (_req, res) => {
      res.on("close", () => {
        upstreamClosed = true;
      });
    });
    edge.routes.set("api.localhost", slow.url);

    const req = request({
      host: "127.0.0.1",
      port: proxy.port,
      headers: { host: "api.localhost" },
      agent: false,
    });
    req.on("error", () => {});
    req.end();
    await until(() => edge.traffic.get(slow.url).inFlight === 1, "the request in flight");
    req.destroy();

    await until(() => edge.traffic.get(slow.url).inFlight === 0, "inFlight back to 0");
    await until(() => upstreamClosed, "the upstream request to be aborted");
  });
});

describe("unknown hosts", () => {
  it("answers an HTML page linking the known apps at the port the browser used", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    edge.routes.set("web.localhost", "http://web-1:8080");
    edge.routes.set("api.localhost", "http://api-1:8080");

    const reply = await send(proxy.port, {
      host: "nope.localhost:8000",
      headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
    });

    expect(reply.status).toBe(404);
    expect(reply.headers["content-type"]).toMatch(/text\/html/);
    expect(reply.body).toContain("No app answers at <code>nope.localhost</code>");
    expect(reply.body).toContain('<a href="http://api.localhost:8000">');
    expect(reply.body).toContain('<a href="http://web.localhost:8000">');
  });

  it("answers JSON listing the apps when the client accepts JSON", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    edge.routes.set("web.localhost", "http://web-1:8080");
    edge.routes.set("api.localhost", "http://api-1:8080");

    const reply = await send(proxy.port, {
      host: "nope.localhost",
      headers: { accept: "application/json" },
    });

    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({
      code: "unknown_host",
      apps: ["http://api.localhost", "http://web.localhost"],
    });
  });

  it("says so when no app is routed yet", async () => {
    const { proxy } = await startEdge(cleanup);

    const html = await send(proxy.port, { host: "api.localhost:8000" });
    const json = await send(proxy.port, {
      host: "api.localhost:8000",
      headers: { accept: "application/json" },
    });

    expect(html.status).toBe(404);
    expect(html.body).toContain("No app is released to the local environment yet");
    expect(JSON.parse(json.body)).toMatchObject({ code: "unknown_host", apps: [] });
    expect(JSON.parse(json.body).message).toMatch(/no app is released/);
  });

  it("escapes the Host header in the page", async () => {
    const { proxy } = await startEdge(cleanup);

    const reply = await send(proxy.port, { host: "<b>x" });

    expect(reply.body).not.toContain("<b>x");
    expect(reply.body).toContain("&#60;b&#62;x");
  });
});

function readHead(socket: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      resolve({ head: buffer.subarray(0, end).toString(), rest: buffer.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("upgrades", () => {
  it("passes a WebSocket-style upgrade through and relays bytes both ways", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    let upstreamHeaders: Record<string, unknown> = {};
    const ws = await listen(
      cleanup,
      (_req, res) => res.end("not an upgrade"),
      (req, socket, head) => {
        upstreamHeaders = req.headers;
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Up: 1\r\n\r\n",
        );
        if (head.length > 0) socket.write(`echo:${head.toString()}`);
        socket.on("data", (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
        socket.on("end", () => socket.end());
      },
    );
    edge.routes.set("ws.localhost", ws.url);

    const socket = connect(proxy.port, "127.0.0.1");
    cleanup.defer(() => socket.destroy());
    await once(socket, "connect");
    socket.write(
      "GET /socket HTTP/1.1\r\nHost: ws.localhost:8000\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    const { head, rest } = await readHead(socket);

    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toMatch(/\r\nUpgrade: websocket/i);
    expect(head).toMatch(/\r\nX-Up: 1/);
    expect(upstreamHeaders).toMatchObject({
      upgrade: "websocket",
      connection: "upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "x-forwarded-host": "ws.localhost:8000",
      "x-forwarded-port": "8000",
    });
    await until(() => edge.traffic.get(ws.url).tunnels === 1, "the tunnel to be counted");
    expect(edge.traffic.get(ws.url).inFlight).toBe(0);

    let echoed = rest.toString();
    socket.on("data", (chunk: Buffer) => {
      echoed += chunk.toString();
    });
    socket.write("ping");
    await until(() => echoed.includes("echo:ping"), "the echo through the tunnel");

    socket.end();
    await until(() => edge.traffic.get(ws.url).tunnels === 0, "the tunnel to close");
  });

  it("relays the upstream's refusal to upgrade", async () => {
    const { edge, proxy } = await startEdge(cleanup);
    const plain = await listen(cleanup, (_req, res) => {
      res.writeHead(426, { "content-type": "text/plain" });
      res.end("upgrade required elsewhere");
    });
    edge.routes.set("ws.localhost", plain.url);

    const socket = connect(proxy.port, "127.0.0.1");
    cleanup.defer(() => socket.destroy());
    socket.write(
      "GET / HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    await once(socket, "end");

    expect(text).toMatch(/^HTTP\/1\.1 426 /);
    expect(text).toContain("upgrade required elsewhere");
  });

  it("answers 404 to an upgrade for an unknown host", async () => {
    const { proxy } = await startEdge(cleanup);

    const socket = connect(proxy.port, "127.0.0.1");
    cleanup.defer(() => socket.destroy());
    socket.write(
      "GET / HTTP/1.1\r\nHost: nope.localhost\r\nAccept: application/json\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    await once(socket, "end");

    expect(text).toMatch(/^HTTP\/1\.1 404 Not Found/);
    expect(text).toContain('"code":"unknown_host"');
  });
});

describe("parseHostHeader", () => {
  it.each([
    ["api.localhost", "api.localhost", undefined],
    ["API.localhost:8000", "api.localhost", "8000"],
    ["api.localhost.:80", "api.localhost", "80"],
    ["[::1]:9901", "[::1]", "9901"],
    [undefined, "", undefined],
  ])("%s -> %s %s", (header, name, port) => {
    expect(parseHostHeader(header)).toEqual({ name, port });
  });
});
