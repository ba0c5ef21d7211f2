import { afterEach, describe, expect, it } from "vitest";
import { isContainerUrl } from "../admin.js";
import {
  ADMIN,
  Cleanup,
  closeServer,
  listen,
  named,
  send,
  startEdge,
  TEST_TOKEN,
} from "./helpers.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function adminOnly(options = {}) {
  const { admin, edge, proxy, logs } = await startEdge(cleanup, options);
  const call = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    send(admin.port, {
      method,
      path,
      headers: {
        ...ADMIN,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { admin, edge, proxy, logs, call };
}

describe("admin routes", () => {
  it("GET /healthz answers ok", async () => {
    const { call } = await adminOnly();

    const reply = await call("GET", "/healthz");

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: "ok" });
    expect(reply.headers["cache-control"]).toBe("no-store");
  });

  it("PUT /routes/:host sets a route and reports the previous upstream", async () => {
    const { call, proxy } = await adminOnly();
    const api = await listen(cleanup, named("api"));

    const first = await call("PUT", "/routes/api.localhost", { upstream: `${api.url}/` });
    const second = await call("PUT", "/routes/api.localhost", { upstream: "http://api-2:8080" });

    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({
      host: "api.localhost",
      upstream: api.url,
      previous: null,
    });
    expect(JSON.parse(second.body)).toEqual({
      host: "api.localhost",
      upstream: "http://api-2:8080",
      previous: api.url,
    });
    expect(JSON.parse((await call("GET", "/routes/api.localhost")).body)).toEqual({
      host: "api.localhost",
      upstream: "http://api-2:8080",
    });
    await call("PUT", "/routes/api.localhost", { upstream: api.url });
    expect((await send(proxy.port, { host: "api.localhost" })).status).toBe(200);
  });

  it("GET /routes lists the table; PUT /routes replaces all of it", async () => {
    const { call } = await adminOnly();
    await call("PUT", "/routes/old.localhost", { upstream: "http://old-1:8080" });

    const replaced = await call("PUT", "/routes", {
      routes: { "web.localhost": "http://web-1:3000", "api.localhost": "http://api-1:8080" },
    });
    const listed = await call("GET", "/routes");

    const expected = {
      routes: { "api.localhost": "http://api-1:8080", "web.localhost": "http://web-1:3000" },
    };
    expect(JSON.parse(replaced.body)).toEqual(expected);
    expect(JSON.parse(listed.body)).toEqual(expected);
  });

  it("PUT /routes changes nothing when one entry is invalid", async () => {
    const { call } = await adminOnly();
    await call("PUT", "/routes/api.localhost", { upstream: "http://api-1:8080" });

    const reply = await call("PUT", "/routes", {
      routes: { "web.localhost": "http://web-1:3000", "bad.localhost": "https://bad:443" },
    });

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).message).toContain('routes["bad.localhost"] "https://bad:443"');
    expect(JSON.parse((await call("GET", "/routes")).body)).toEqual({
      routes: { "api.localhost": "http://api-1:8080" },
    });
  });

  it("DELETE /routes/:host removes a route and is idempotent", async () => {
    const { call, proxy } = await adminOnly();
    await call("PUT", "/routes/api.localhost", { upstream: "http://api-1:8080" });

    const first = await call("DELETE", "/routes/api.localhost");
    const again = await call("DELETE", "/routes/api.localhost");

    expect(JSON.parse(first.body)).toEqual({
      host: "api.localhost",
      previous: "http://api-1:8080",
    });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ host: "api.localhost", previous: null });
    expect((await send(proxy.port, { host: "api.localhost" })).status).toBe(404);
    expect((await call("GET", "/routes/api.localhost")).status).toBe(404);
  });

  it("GET /stats counts requests per upstream", async () => {
    const { call, proxy } = await adminOnly();
    const api = await listen(cleanup, named("api"));
    await call("PUT", "/routes/api.localhost", { upstream: api.url });
    await send(proxy.port, { host: "api.localhost" });
    await send(proxy.port, { host: "api.localhost" });

    const reply = await call("GET", "/stats");

    expect(JSON.parse(reply.body)).toEqual({
      upstreams: { [api.url]: { inFlight: 0, total: 2, tunnels: 0 } },
    });
  });

  it("answers 404 and 405 as JSON", async () => {
    const { call } = await adminOnly();

    const missing = await call("GET", "/nope");
    const wrong = await call("POST", "/routes", { routes: {} });

    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).code).toBe("not_found");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET, PUT");
  });
});

describe("admin validation", () => {
  it.each([
    [
      "an upper-case host",
      "/routes/API.localhost",
      { upstream: "http://a:1" },
      /host "API\.localhost" is not a hostname/,
    ],
    [
      "a host with a port",
      "/routes/api.localhost:80",
      { upstream: "http://a:1" },
      /host "api\.localhost:80"/,
    ],
    [
      "an https upstream",
      "/routes/api.localhost",
      { upstream: "https://a:1" },
      /upstream "https:\/\/a:1" is not an upstream/,
    ],
    [
      "an upstream with a path",
      "/routes/api.localhost",
      { upstream: "http://a:1/v1" },
      /upstream "http:\/\/a:1\/v1"/,
    ],
    ["a missing upstream", "/routes/api.localhost", {}, /upstream undefined|upstream "undefined"/],
    [
      "a non-URL upstream",
      "/routes/api.localhost",
      { upstream: "platform-api" },
      /upstream "platform-api"/,
    ],
    [
      "routes that are not an object",
      "/routes",
      { routes: ["x"] },
      /routes \["x"\] is not an object/,
    ],
    [
      "a bad host key in routes",
      "/routes",
      { routes: { "a b": "http://a:1" } },
      /routes key "a b"/,
    ],
  ])("answers 400 naming the field and value for %s", async (_name, path, body, message) => {
    const { call } = await adminOnly();

    const reply = await call("PUT", path, body);

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).message).toMatch(message);
  });

  it("refuses bodies that are not JSON objects", async () => {
    const { call } = await adminOnly();

    const text = await call("PUT", "/routes/api.localhost", "upstream=x", {
      "content-type": "text/plain",
    });
    const broken = await call("PUT", "/routes/api.localhost", "{nope");
    const array = await call("PUT", "/routes/api.localhost", "[]");

    expect(text.status).toBe(415);
    expect(JSON.parse(broken.body).code).toBe("invalid_json");
    expect(JSON.parse(array.body).code).toBe("invalid_body");
  });

  it("refuses bodies over 64 KiB, with or without content-length", async () => {
    const { call } = await adminOnly();
    const big = JSON.stringify({ routes: {}, padding: "x".repeat(70 * 1024) });

    const declared = await call("PUT", "/routes", big);
    const chunked = await call("PUT", "/routes", big, { "transfer-encoding": "chunked" });

    expect(declared.status).toBe(413);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).code).toBe("payload_too_large");
  });
});

describe("admin hardening", () => {
  it("refuses requests with an Origin header", async () => {
    const { call } = await adminOnly();

    const reply = await call("GET", "/routes", undefined, { origin: "http://evil.example" });

    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body).code).toBe("forbidden_origin");
  });

  it.each([
    ["no authorization header", {}],
    ["the old constant header", { "x-deploy-kit": "1" }],
    ["a wrong token", { authorization: `Bearer ${"x".repeat(TEST_TOKEN.length)}` }],
    ["a token of another length", { authorization: "Bearer short" }],
    ["the token without the scheme", { authorization: TEST_TOKEN }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("answers 401 to %s, on every route, and changes nothing", async (_what, headers) => {
    const { admin, edge } = await adminOnly();
    edge.routes.set("api.localhost", "http://api-1:8080");
    const json = { ...headers, "content-type": "application/json" };

    const replies = [
      await send(admin.port, { path: "/healthz", headers }),
      await send(admin.port, { path: "/routes", headers }),
      await send(admin.port, { path: "/stats", headers }),
      await send(admin.port, {
        method: "PUT",
        path: "/routes/api.localhost",
        headers: json,
        body: JSON.stringify({ upstream: "http://evil:1" }),
      }),
      await send(admin.port, {
        method: "POST",
        path: "/probe",
        headers: json,
        body: JSON.stringify({ url: "http://evil:1/" }),
      }),
    ];

    for (const reply of replies) {
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.body)).toEqual({ code: "unauthorized", message: "Unauthorized." });
    }
    expect(edge.routes.get("api.localhost")).toBe("http://api-1:8080");
  });

  it("never logs the token it was sent", async () => {
    const { admin, logs } = await adminOnly();

    await send(admin.port, { path: "/nowhere", headers: ADMIN });
    await send(admin.port, { path: "/routes", headers: { authorization: "Bearer guess-1234" } });

    expect(JSON.stringify(logs.lines)).not.toContain(TEST_TOKEN);
    expect(JSON.stringify(logs.lines)).not.toContain("guess-1234");
  });

  it("refuses to start with a short token", async () => {
    await expect(startEdge(cleanup, { adminToken: "short" })).rejects.toThrow(
      /EDGE_ADMIN_TOKEN to at least 32/,
    );
  });

  it.each(["127.0.0.1:9901", "localhost", "LOCALHOST:1", "[::1]:9901", "127.0.0.1"])(
    "accepts Host %s",
    async (host) => {
      const { admin } = await adminOnly();

      const reply = await send(admin.port, { path: "/healthz", host, headers: ADMIN });

      expect(reply.status).toBe(200);
    },
  );

  it.each(["rebind.example:9901", "127.0.0.1.nip.io", "localhost.evil.example", "[::2]"])(
    "refuses Host %s (DNS rebinding)",
    async (host) => {
      const { admin } = await adminOnly();

      const reply = await send(admin.port, { path: "/routes", host, headers: ADMIN });

      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body).code).toBe("forbidden_host");
    },
  );
});

describe("POST /probe", () => {
  const allowAll = { probeAllowed: () => true };

  it("reports ok with the status and time of a healthy container", async () => {
    const { call } = await adminOnly(allowAll);
    const app = await listen(cleanup, (req, res) => {
      res.statusCode = req.url === "/healthz" ? 200 : 500;
      res.end();
    });

    const healthy = JSON.parse((await call("POST", "/probe", { url: `${app.url}/healthz` })).body);
    const failing = JSON.parse((await call("POST", "/probe", { url: `${app.url}/broken` })).body);

    expect(healthy).toMatchObject({ ok: true, status: 200 });
    expect(typeof healthy.ms).toBe("number");
    expect(failing).toMatchObject({ ok: false, status: 500 });
  });

  it("probes ports that fetch refuses", async () => {
    const { call } = await adminOnly({ probeAllowed: (url: URL) => url.port === "6000" });

    const result = JSON.parse(
      (await call("POST", "/probe", { url: "http://127.0.0.1:6000/" })).body,
    );

    expect(result.error ?? "").not.toMatch(/bad port/);
  });

  it("does not follow redirects", async () => {
    const { call } = await adminOnly(allowAll);
    const app = await listen(cleanup, (_req, res) => {
      res.writeHead(302, { location: "http://169.254.169.254/" });
      res.end();
    });

    const result = JSON.parse((await call("POST", "/probe", { url: app.url })).body);

    expect(result).toMatchObject({ ok: true, status: 302 });
  });

  it("reports a refused connection", async () => {
    const { call } = await adminOnly(allowAll);
    const gone = await listen(cleanup, () => {});
    await closeServer(gone.server);

    const result = JSON.parse((await call("POST", "/probe", { url: gone.url })).body);

    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it("gives up after timeoutMs", async () => {
    const { call } = await adminOnly(allowAll);
    const stuck = await listen(cleanup, () => {});

    const reply = await call("POST", "/probe", { url: stuck.url, timeoutMs: 100 });

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({
      ok: false,
      error: "no response within 100 ms",
    });
  });

  it("refuses URLs outside the container network by default", async () => {
    const { call } = await adminOnly();

    const reply = await call("POST", "/probe", { url: "http://127.0.0.1:9901/routes" });

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "probe_refused" });
  });

  it.each([
    [{ url: "not a url" }, "invalid_url"],
    [{ url: "http://a:1/", timeoutMs: 0 }, "invalid_timeout"],
    [{ url: "http://a:1/", timeoutMs: "5" }, "invalid_timeout"],
  ])("validates %j", async (body, code) => {
    const { call } = await adminOnly(allowAll);

    const reply = await call("POST", "/probe", body);

    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).code).toBe(code);
  });
});

describe("isContainerUrl", () => {
  it.each([
    ["http://platform-api-3f2a9c1-k2j4:8080/healthz", true],
    ["http://web:3000", true],
    ["https://platform-api:8080/", false],
    ["http://localhost:9901/", false],
    ["http://127.0.0.1:8080/", false],
    ["http://2130706433/", false],
    ["http://[::1]:8080/", false],
    ["http://api.example.com/", false],
    ["http://user:pw@api:8080/", false],
    ["file:///etc/passwd", false],
  ])("%s -> %s", (url, allowed) => {
    expect(isContainerUrl(new URL(url))).toBe(allowed);
  });
});
