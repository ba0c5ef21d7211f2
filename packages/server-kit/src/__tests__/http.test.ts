import express from "express";
import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { HttpError } from "../errors.js";
import { errorHandler, healthRoutes, notFound, requestContext, serviceApp } from "../http.js";

function makeApp(readiness = { ready: true }) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  const app = express();
  app.use(requestContext(logger));
  app.use(healthRoutes(readiness));
  app.use(express.json({ limit: "10b" }));
  app.post("/echo", (req, res) => {
    res.json(req.body);
  });
  app.get("/teapot", () => {
    throw new HttpError(418, "teapot", "I am a teapot.", { details: { short: true } });
  });
  app.get("/boom", () => {
    throw new Error("database password is hunter2");
  });
  app.use(notFound);
  app.use(errorHandler);
  return { app, lines };
}

describe("requestContext", () => {
  it("keeps a well-formed incoming request id and logs it", async () => {
    const { app, lines } = makeApp();
    const res = await request(app).get("/nowhere").set("x-request-id", "abc-123");
    expect(res.headers["x-request-id"]).toBe("abc-123");
    expect(lines.find((line) => line.msg === "request completed")).toMatchObject({
      level: 40,
      req: { id: "abc-123", method: "GET", url: "/nowhere" },
      res: { statusCode: 404 },
    });
  });

  it.each([["has spaces in it"], ["x".repeat(129)], ["<script>"]])(
    "replaces a malformed request id (%s) with a new one",
    async (incoming) => {
      const { app } = makeApp();
      const res = await request(app).get("/healthz").set("x-request-id", incoming);
      expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it("does not log health checks", async () => {
    const { app, lines } = makeApp();
    await request(app).get("/healthz").expect(200);
    await request(app).get("/readyz").expect(200);
    expect(lines).toEqual([]);
  });
});

describe("healthRoutes", () => {
  it("answers ready, then shutting_down once readiness is false", async () => {
    const readiness = { ready: true };
    const { app } = makeApp(readiness);
    await request(app).get("/readyz").expect(200, { status: "ready" });
    await request(app).get("/healthz").expect(200, { status: "ok" });
    readiness.ready = false;
    await request(app).get("/readyz").expect(503, { status: "shutting_down" });
    // /healthz is what the load balancer checks: it must fail too, or the ALB keeps routing here.
    const res = await request(app).get("/healthz").expect(503, { status: "shutting_down" });
    expect(res.headers["cache-control"]).toBe("no-store");
  });
});

describe("errorHandler", () => {
  it("answers an unknown route with a JSON 404", async () => {
    const { app } = makeApp();
    const res = await request(app).get("/missing").expect(404);
    expect(res.body).toEqual({
      code: "not_found",
      message: "No route for GET /missing",
      requestId: res.headers["x-request-id"],
    });
  });

  it("keeps status, code and details of an HttpError", async () => {
    const { app } = makeApp();
    const res = await request(app).get("/teapot").expect(418);
    expect(res.body).toMatchObject({
      code: "teapot",
      message: "I am a teapot.",
      details: { short: true },
    });
  });

  it("answers malformed JSON with 400", async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post("/echo")
      .set("content-type", "application/json")
      .send("{not json")
      .expect(400);
    expect(res.body.code).toBe("invalid_json");
  });

  it("answers an oversized body with 413", async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post("/echo")
      .send({ text: "far more than ten bytes" })
      .expect(413);
    expect(res.body.code).toBe("payload_too_large");
  });

  it("hides unexpected errors from the client and logs them with their stack", async () => {
    const { app, lines } = makeApp();
    const res = await request(app).get("/boom").expect(500);
    expect(res.body).toEqual({
      code: "internal_error",
      message: "Something went wrong on our side.",
      requestId: res.headers["x-request-id"],
    });
    expect(res.text).not.toMatch(/hunter2|at .*\.ts/);
    const logged = lines.find((line) => line.msg === "request failed") as {
      err: { stack: string };
    };
    expect(logged.err.stack).toMatch(/database password/);
  });
});

describe("serviceApp", () => {
  const app = serviceApp(pino({ level: "silent" }));
  app.get("/whoami", (req, res) => {
    res.json({ ip: req.ip, protocol: req.protocol });
  });

  it("says nothing about Express, and answers with a request id", async () => {
    const res = await request(app).get("/whoami");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("trusts X-Forwarded-* from a proxy on a private address (the ALB, the edge router)", async () => {
    const res = await request(app)
      .get("/whoami")
      .set("x-forwarded-for", "203.0.113.7")
      .set("x-forwarded-proto", "https");
    // supertest connects from 127.0.0.1: loopback is trusted, so the client is the forwarded one.
    expect(res.body).toEqual({ ip: "203.0.113.7", protocol: "https" });
  });
});

describe("request log redaction", () => {
  it("logs no credential from headers or the query string, and keeps the rest", async () => {
    const { app, lines } = makeApp();

    await request(app)
      .get("/nowhere?access_token=tok-abc-1&page=2&X-Amz-Signature=sig-abc-2&code=code-abc-3")
      .set("authorization", "Bearer auth-abc-4")
      .set("proxy-authorization", "Basic proxy-abc-5")
      .set("x-amz-security-token", "amz-abc-6")
      .set("cookie", "session=cookie-abc-7")
      .set("x-csrf-token", "csrf-abc-8")
      .set("x-api-key", "key-abc-9")
      .set("accept-language", "de");

    const logged = JSON.stringify(lines);
    for (const value of ["tok-abc-1", "sig-abc-2", "code-abc-3", "auth-abc-4", "proxy-abc-5"])
      expect(logged).not.toContain(value);
    for (const value of ["amz-abc-6", "cookie-abc-7", "csrf-abc-8", "key-abc-9"])
      expect(logged).not.toContain(value);
    const line = lines.find((entry) => entry.msg === "request completed") as {
      req: { url: string; headers: Record<string, string> };
    };
    expect(line.req.url).toBe(
      "/nowhere?access_token=[redacted]&page=2&X-Amz-Signature=[redacted]&code=[redacted]",
    );
    expect(line.req.headers["accept-language"]).toBe("de");
    expect(line.req.headers["proxy-authorization"]).toBe("[redacted]");
  });
});
