import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { MemoryNotesStore, type NotesStore } from "../notes.js";

const WEB = "https://web.example.com";

function makeApp(overrides: { notes?: NotesStore; ready?: boolean } = {}) {
  const readiness = { ready: overrides.ready ?? true };
  const app = createApp({
    env: {
      APP_VERSION: "1.2.3",
      GIT_COMMIT: "abc1234",
      DEPLOY_ENV: "staging",
      CORS_ORIGINS: [WEB, "http://localhost:5173"],
    },
    logger: pino({ level: "silent" }),
    readiness,
    notes: overrides.notes ?? new MemoryNotesStore(),
    uptimeSeconds: () => 42.4,
  });
  return { app, readiness };
}

describe("health", () => {
  it("GET /healthz answers 200 and is never cached", async () => {
    const res = await request(makeApp().app).get("/healthz").expect(200, { status: "ok" });
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("GET /healthz and /readyz turn 503 when shutdown starts, so the load balancer lets go", async () => {
    const { app, readiness } = makeApp();
    await request(app).get("/readyz").expect(200);
    readiness.ready = false;
    // /healthz is the healthCheckPath of deploy.json: what the ALB and the local edge check.
    await request(app).get("/healthz").expect(503, { status: "shutting_down" });
    await request(app).get("/readyz").expect(503, { status: "shutting_down" });
  });
});

describe("GET /v1/info", () => {
  it("says which release runs where", async () => {
    const res = await request(makeApp().app).get("/v1/info").expect(200);
    expect(res.body).toEqual({
      name: "api",
      version: "1.2.3",
      commit: "abc1234",
      environment: "staging",
      uptimeSeconds: 42,
    });
  });
});

describe("notes", () => {
  it("creates, lists and reads a note", async () => {
    const { app } = makeApp();
    const created = await request(app).post("/v1/notes").send({ text: "  hello  " }).expect(201);
    expect(created.body).toMatchObject({ text: "hello", id: expect.any(String) });
    expect(created.headers.location).toBe(`/v1/notes/${created.body.id}`);

    const list = await request(app).get("/v1/notes").expect(200);
    expect(list.body.items).toEqual([created.body]);
    await request(app)
      .get(created.headers.location as string)
      .expect(200, created.body);
  });

  it("answers an unknown note with a JSON 404", async () => {
    const res = await request(makeApp().app).get("/v1/notes/nope").expect(404);
    expect(res.body).toMatchObject({ code: "not_found", message: 'No note with id "nope".' });
  });

  it.each([
    [{}, "text"],
    [{ text: "" }, "text"],
    [{ text: "x".repeat(501) }, "text"],
    [{ text: 3 }, "text"],
    [{ text: "ok", extra: true }, "(body)"],
  ])("refuses %j and names the field", async (body, field) => {
    const res = await request(makeApp().app).post("/v1/notes").send(body).expect(400);
    expect(res.body.code).toBe("validation_failed");
    expect(res.body.details[0].field).toBe(field);
  });

  it("refuses malformed JSON and oversized bodies as JSON errors", async () => {
    const { app } = makeApp();
    const bad = await request(app)
      .post("/v1/notes")
      .set("content-type", "application/json")
      .send('{"text":')
      .expect(400);
    expect(bad.body.code).toBe("invalid_json");
    const big = await request(app)
      .post("/v1/notes")
      .send({ text: "x".repeat(20_000) })
      .expect(413);
    expect(big.body.code).toBe("payload_too_large");
  });

  it("answers a failing store with a 500 that tells nothing of the cause", async () => {
    const broken: NotesStore = {
      list: () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.7:5432")),
      get: () => Promise.reject(new Error("unused")),
      add: () => Promise.reject(new Error("unused")),
    };
    const res = await request(makeApp({ notes: broken }).app)
      .get("/v1/notes")
      .expect(500);
    expect(res.body).toEqual({
      code: "internal_error",
      message: "Something went wrong on our side.",
      requestId: res.headers["x-request-id"],
    });
    expect(res.text).not.toContain("ECONNREFUSED");
  });

  it("keeps at most `capacity` notes, dropping the oldest", async () => {
    const store = new MemoryNotesStore(2);
    const first = await store.add("one");
    await store.add("two");
    await store.add("three");
    expect((await store.list()).map((note) => note.text)).toEqual(["three", "two"]);
    expect(await store.get(first.id)).toBeUndefined();
  });
});

describe("errors", () => {
  it("answers an unknown route with a JSON 404", async () => {
    const res = await request(makeApp().app).get("/v2/anything").expect(404);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ code: "not_found", message: "No route for GET /v2/anything" });
  });
});

describe("CORS", () => {
  it("allows a configured origin and exposes the request id", async () => {
    const res = await request(makeApp().app).get("/v1/info").set("origin", WEB).expect(200);
    expect(res.headers["access-control-allow-origin"]).toBe(WEB);
    expect(res.headers["access-control-expose-headers"]).toBe("x-request-id");
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it("gives no CORS headers to other origins", async () => {
    const res = await request(makeApp().app)
      .get("/v1/info")
      .set("origin", "https://evil.example.net")
      .expect(200);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("answers a preflight from a configured origin", async () => {
    const res = await request(makeApp().app)
      .options("/v1/notes")
      .set("origin", "http://localhost:5173")
      .set("access-control-request-method", "POST")
      .set("access-control-request-headers", "content-type")
      .expect(204);
    expect(res.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(res.headers["access-control-allow-methods"]).toBe("GET,POST");
    expect(res.headers["access-control-max-age"]).toBe("600");
  });

  it("refuses a preflight from another origin", async () => {
    const res = await request(makeApp().app)
      .options("/v1/notes")
      .set("origin", "https://web.example.com.evil.net")
      .set("access-control-request-method", "POST");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["access-control-allow-methods"]).toBeUndefined();
  });
});

describe("headers", () => {
  it("sets security headers and hides the framework", async () => {
    const res = await request(makeApp().app).get("/v1/info");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.headers["content-security-policy"]).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
  });

  it("returns the caller's request id, or a new one", async () => {
    const { app } = makeApp();
    const given = await request(app).get("/healthz").set("x-request-id", "trace-1");
    expect(given.headers["x-request-id"]).toBe("trace-1");
    const made = await request(app).get("/healthz");
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
