import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { readEnv } from "../env.js";

let staticDir: string;
const INDEX =
  '<!doctype html><html><head><script src="/config.js"></script></head><body>app</body></html>';

beforeAll(() => {
  staticDir = mkdtempSync(path.join(tmpdir(), "web-static-"));
  mkdirSync(path.join(staticDir, "assets"));
  writeFileSync(path.join(staticDir, "index.html"), INDEX);
  writeFileSync(
    path.join(staticDir, "assets", "index-AbC123.js"),
    `console.log("${"x".repeat(4000)}");`,
  );
  writeFileSync(path.join(staticDir, "robots.txt"), "User-agent: *\n");
});
afterAll(() => rmSync(staticDir, { recursive: true, force: true }));

function makeApp(apiUrl = "https://api.example.com", ready = true) {
  return createApp({
    env: { API_URL: apiUrl, DEPLOY_ENV: "staging" },
    logger: pino({ level: "silent" }),
    readiness: { ready },
    staticDir,
  });
}

describe("runtime config", () => {
  it("serves /config.js from the environment, never cached", async () => {
    const res = await request(makeApp()).get("/config.js").expect(200);
    expect(res.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.text).toBe(
      'window.__APP_CONFIG__=Object.freeze({"apiUrl":"https://api.example.com","environment":"staging"});\n',
    );
  });

  it("lets the page call the api's origin and nothing else", async () => {
    const res = await request(makeApp()).get("/");
    const csp = res.headers["content-security-policy"] as string;
    expect(csp).toContain("connect-src 'self' https://api.example.com");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("upgrade-insecure-requests");
  });

  it("does not upgrade requests when the platform runs on plain HTTP (local)", async () => {
    const res = await request(makeApp("http://api.localhost:8080")).get("/");
    const csp = res.headers["content-security-policy"] as string;
    expect(csp).toContain("connect-src 'self' http://api.localhost:8080");
    expect(csp).not.toContain("upgrade-insecure-requests");
  });

  it("requires API_URL at start-up, with the fix", () => {
    expect(() => readEnv({})).toThrow(
      /API_URL=\(unset\): .*Set API_URL to an absolute http\(s\) URL/,
    );
    expect(readEnv({ API_URL: "http://api.localhost:8080/" }).API_URL).toBe(
      "http://api.localhost:8080",
    );
  });
});

describe("static files", () => {
  it("caches hashed assets for a year as immutable", async () => {
    const res = await request(makeApp()).get("/assets/index-AbC123.js").expect(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers["content-type"]).toMatch(/javascript/);
  });

  it("caches other files briefly", async () => {
    const res = await request(makeApp()).get("/robots.txt").expect(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=300");
  });

  it.each([["br"], ["gzip"]])("compresses with %s when the browser asks", async (encoding) => {
    const res = await request(makeApp())
      .get("/assets/index-AbC123.js")
      .set("accept-encoding", encoding)
      .expect(200);
    expect(res.headers["content-encoding"]).toBe(encoding);
  });

  it("answers a missing asset with a JSON 404, not the page", async () => {
    const res = await request(makeApp()).get("/assets/missing-123.js").expect(404);
    expect(res.body.code).toBe("not_found");
  });
});

describe("the page", () => {
  it.each([["/"], ["/some/client/route"]])("GET %s is index.html, never cached", async (url) => {
    const res = await request(makeApp()).get(url).set("accept", "text/html").expect(200);
    expect(res.text).toBe(INDEX);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["content-type"]).toMatch(/text\/html/);
  });

  it("does not answer API-like requests with the page", async () => {
    await request(makeApp()).get("/v1/info").set("accept", "application/json").expect(404);
  });

  it("sets security headers", async () => {
    const res = await request(makeApp()).get("/");
    expect(res.headers["x-powered-by"]).toBeUndefined();
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
  });
});

describe("health", () => {
  it("answers /healthz and /readyz, both 503 once shutdown starts", async () => {
    await request(makeApp()).get("/healthz").expect(200, { status: "ok" });
    const stopping = makeApp("https://api.example.com", false);
    await request(stopping).get("/healthz").expect(503, { status: "shutting_down" });
    await request(stopping).get("/readyz").expect(503);
  });
});
