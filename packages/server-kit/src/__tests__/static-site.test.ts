import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notFound } from "../http.js";
import { staticSite } from "../static-site.js";

let dir: string;
const INDEX = "<!doctype html><title>app</title>";

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "static-site-"));
  mkdirSync(path.join(dir, "assets"));
  writeFileSync(path.join(dir, "index.html"), INDEX);
  writeFileSync(path.join(dir, "assets", "main-Ab12.js"), "console.log(1);");
  writeFileSync(path.join(dir, "robots.txt"), "User-agent: *\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeApp() {
  const app = express();
  app.use(staticSite({ dir }));
  app.use(notFound);
  return app;
}

describe("staticSite", () => {
  it("caches hashed assets for a year, other files for five minutes", async () => {
    const asset = await request(makeApp()).get("/assets/main-Ab12.js").expect(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const robots = await request(makeApp()).get("/robots.txt").expect(200);
    expect(robots.headers["cache-control"]).toBe("public, max-age=300");
  });

  it.each([["/"], ["/orders/42"]])(
    "answers the page route %s with index.html, never cached",
    async (url) => {
      const res = await request(makeApp()).get(url).set("accept", "text/html").expect(200);
      expect(res.text).toBe(INDEX);
      expect(res.headers["cache-control"]).toBe("no-store");
    },
  );

  it("lets a missing file and a JSON request fall through to the 404", async () => {
    await request(makeApp()).get("/assets/gone-1.js").expect(404);
    await request(makeApp()).get("/v1/orders").set("accept", "application/json").expect(404);
  });
});
