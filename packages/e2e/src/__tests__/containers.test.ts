import { readFileSync } from "node:fs";
import { RawConnection, within } from "@repo/test-kit/http-socket";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltImage,
  buildImage,
  docker,
  removeAllContainers,
  repoRoot,
  runContainer,
  runOnce,
  waitForHttp,
} from "../docker.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);
/** A short drain (SHUTDOWN_DRAIN_MS) for these tests, so that each phase can be watched. */
const DRAIN_MS = 1_500;

const RELEASE = {
  GIT_COMMIT: "e2e0c0ffee",
  APP_VERSION: "9.8.7",
  SOURCE_URL: "https://github.com/example/platform",
};
const APPS = ["api", "web"] as const;
type App = (typeof APPS)[number];
/** What each app needs to start: the web app must know where the api is. */
const START_ENV: Record<App, Record<string, string>> = {
  api: {},
  web: { API_URL: "http://api.localhost:8080" },
};

describe.skipIf(!hasDocker)("container images", () => {
  const images = {} as Record<App, BuiltImage>;

  beforeAll(async () => {
    for (const app of APPS) images[app] = await buildImage(app, `repo-e2e/${app}:test`, RELEASE);
  });
  afterAll(removeAllContainers);

  describe.each(APPS)("%s", (app) => {
    it("carries the OCI labels from the build args and runs as a numeric non-root user", async () => {
      const config = JSON.parse(
        await docker(["image", "inspect", "-f", "{{json .Config}}", images[app].tag]),
      );
      expect(config.Labels).toMatchObject({
        "org.opencontainers.image.revision": RELEASE.GIT_COMMIT,
        "org.opencontainers.image.version": RELEASE.APP_VERSION,
        "org.opencontainers.image.source": RELEASE.SOURCE_URL,
      });
      expect(config.User).toBe("65532:65532");
      expect(config.Env).toContain("PORT=8080");
    });

    it("answers /healthz, reports the build's release and its process is not root", async () => {
      const container = await runContainer({ image: images[app].tag, env: START_ENV[app] });
      await waitForHttp(`${container.url}/healthz`);
      // As the host sees the container's processes: not what the image claims, what runs.
      const rows = (await docker(["top", container.id, "-eo", "pid,uid,comm"]))
        .split("\n")
        .slice(1);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.trim().split(/\s+/)[1]).toBe("65532");
      if (app === "api") {
        const info = await (await fetch(`${container.url}/v1/info`)).json();
        expect(info).toMatchObject({ version: RELEASE.APP_VERSION, commit: RELEASE.GIT_COMMIT });
      }
      await container.remove();
    });

    it("carries the SBOM of its bundled npm packages: CycloneDX and code-free manifests", async () => {
      const lock = JSON.parse(
        readFileSync(new URL("package-lock.json", `file://${repoRoot}`), "utf8"),
      );
      const read = `
        const fs = require("fs"), path = require("path");
        const files = [];
        const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true }))
          e.isDirectory() ? walk(path.join(dir, e.name)) : files.push(path.join(dir, e.name)); };
        walk("/app/node_modules");
        const bom = JSON.parse(fs.readFileSync("/app/sbom.cdx.json", "utf8"));
        const express = fs.readFileSync("/app/node_modules/express/package.json", "utf8");
        console.log(JSON.stringify({ bom, express: JSON.parse(express), files }));`;
      const result = await runOnce(
        images[app].tag,
        ["--entrypoint", "/nodejs/bin/node"],
        ["-e", read],
      );
      expect(result.code, result.stderr).toBe(0);
      const { bom, express, files } = JSON.parse(result.stdout);
      const version = lock.packages["node_modules/express"].version;

      expect(bom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.5" });
      expect(bom.components).toContainEqual(
        expect.objectContaining({ name: "express", version, purl: `pkg:npm/express@${version}` }),
      );
      expect(express).toEqual({ name: "express", version, license: "MIT" });
      // Manifests for scanners, no code: nothing under node_modules but package.json files.
      expect(files.length).toBeGreaterThanOrEqual(bom.components.length);
      expect(files.filter((file: string) => !file.endsWith("/package.json"))).toEqual([]);
      const config = JSON.parse(
        await docker(["image", "inspect", "-f", "{{json .Config}}", images[app].tag]),
      );
      expect(config.Labels["dev.platform.sbom"]).toBe("/app/sbom.cdx.json");
    });

    it("listens on $PORT", async () => {
      const container = await runContainer({
        image: images[app].tag,
        env: { ...START_ENV[app], PORT: "9090" },
        containerPort: 9090,
      });
      await waitForHttp(`${container.url}/healthz`);
      await container.remove();
    });

    it("turns healthy through the image's own HEALTHCHECK", async () => {
      const container = await runContainer({ image: images[app].tag, env: START_ENV[app] });
      let health = "";
      for (let i = 0; i < 100 && health !== "healthy"; i++) {
        health = await docker(["inspect", "-f", "{{.State.Health.Status}}", container.id]);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(health).toBe("healthy");
      await container.remove();
    });

    it("on SIGTERM fails /healthz but keeps serving through the drain, then closes idle keep-alive connections and exits 0", async () => {
      const container = await runContainer({
        image: images[app].tag,
        env: { ...START_ENV[app], SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
      });
      await waitForHttp(`${container.url}/healthz`);
      const idle = await RawConnection.open(container.port);
      idle.write("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
      await idle.until((text) => text.includes('{"status":"ok"}'));

      const signalled = performance.now();
      await docker(["kill", "--signal", "SIGTERM", container.id]);
      // The load balancer's check fails at once, on the kept connection and on a new one alike.
      idle.write("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
      await idle.until((text) => text.includes('{"status":"shutting_down"}'));
      const fresh = await fetch(`${container.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      expect(fresh.status).toBe(503);

      expect(await within(idle.closed, DRAIN_MS + 3_000)).toBe(true);
      expect(performance.now() - signalled).toBeGreaterThanOrEqual(DRAIN_MS - 100);
      expect(await docker(["wait", container.id], 10_000)).toBe("0");
      await container.remove();
    });

    it("refuses to start with a bad environment and says what to set", async () => {
      const container = await runContainer({ image: images[app].tag, env: { PORT: "http" } });
      expect(await docker(["wait", container.id], 10_000)).toBe("1");
      const logs = await container.logs();
      expect(logs).toContain(`${app}: Invalid environment`);
      expect(logs).toMatch(/PORT="http": .*Set PORT to a TCP port/);
      expect(logs).not.toMatch(/\n\s+at /);
      await container.remove();
    });
  });

  it("api: on SIGTERM it goes not ready, serves through the drain, closes, then lets an in-flight request finish, exit 0", async () => {
    const container = await runContainer({
      image: images.api.tag,
      env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
    });
    await waitForHttp(`${container.url}/healthz`);

    const body = JSON.stringify({ text: "written during shutdown" });
    const inFlight = await RawConnection.open(container.port);
    inFlight.write(
      `POST /v1/notes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 8)}`,
    );
    const idle = await RawConnection.open(container.port);
    idle.write("GET /readyz HTTP/1.1\r\nHost: test\r\n\r\n");
    await idle.until((text) => text.includes('{"status":"ready"}'));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const signalled = performance.now();
    await docker(["kill", "--signal", "SIGTERM", container.id]);
    // 1. Not ready, 2. still serving: the drain, while the load balancer notices.
    const health = await fetch(`${container.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    expect(health.status).toBe(503);
    const info = await fetch(`${container.url}/v1/info`, { signal: AbortSignal.timeout(2_000) });
    expect(info.status).toBe(200);
    expect(performance.now() - signalled).toBeLessThan(DRAIN_MS);

    // 3. Closed: idle connections end and new ones are refused, once the drain is over.
    expect(await within(idle.closed, DRAIN_MS + 3_000)).toBe(true);
    expect(performance.now() - signalled).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    await expect(
      fetch(`${container.url}/healthz`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();

    // 4. The request in flight since before SIGTERM still finishes.
    inFlight.write(body.slice(8));
    const answer = await inFlight.until((text) => text.includes("written during shutdown"));
    expect(answer).toMatch(/^HTTP\/1\.1 201 Created/);
    expect(answer.toLowerCase()).toContain("connection: close");

    expect(await docker(["wait", container.id], 30_000)).toBe("0");
    expect(performance.now() - signalled).toBeLessThan(DRAIN_MS + 10_000);
    const messages = (await container.logs())
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line).msg);
    expect(
      messages.filter(
        (msg) => ["shutting down", "drain over", "stopped"].includes(msg) || /^closing/.test(msg),
      ),
    ).toEqual([
      "shutting down",
      "drain over",
      "closing: refusing new connections, finishing requests in flight",
      "stopped",
    ]);
    await container.remove();
  });

  it("api: a second SIGTERM ends the default 15 s drain at once", async () => {
    const container = await runContainer({ image: images.api.tag });
    await waitForHttp(`${container.url}/healthz`);
    const first = performance.now();
    await docker(["kill", "--signal", "SIGTERM", container.id]);
    await waitForHttp(`${container.url}/healthz`, 5_000, 503);

    await docker(["kill", "--signal", "SIGTERM", container.id]);
    expect(await docker(["wait", container.id], 15_000)).toBe("0");
    // Had the drain run its course, the server would have exited no sooner than 15 s after the
    // first SIGTERM. (Not a speed figure: on a loaded machine `docker kill` and `wait` alone can
    // take seconds, so the bound is the drain, not a tight number.)
    expect(performance.now() - first).toBeLessThan(14_000);
    expect(await container.logs()).toContain('"msg":"another signal: ending the drain now"');
    await container.remove();
  });

  describe("api: /tmp with a read-only root file system, as ECS runs it", () => {
    // Writes a file to os.tmpdir() as the image's user, and says who wrote where, or why not.
    const WRITE_TMP = [
      "-e",
      `const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
       try {
         fs.writeFileSync(path.join(os.tmpdir(), "probe"), "ok");
         console.log("uid " + process.getuid() + " wrote " + os.tmpdir());
       } catch (err) {
         console.log(err.code);
         process.exit(1);
       }`,
    ];

    it("declares /tmp a volume, so that ECS fills its task volume from the image", async () => {
      const volumes = await docker([
        "image",
        "inspect",
        "-f",
        "{{json .Config.Volumes}}",
        images.api.tag,
      ]);
      expect(JSON.parse(volumes)).toEqual({ "/tmp": {} });
    });

    it("lets the non-root user write to os.tmpdir() with no tmpfs: the declared volume is mounted", async () => {
      const run = await runOnce(images.api.tag, ["--read-only"], WRITE_TMP);
      expect(run).toMatchObject({ code: 0, stdout: "uid 65532 wrote /tmp" });
    });

    it("fails where the volume is not filled from the image (ECS without VOLUME: root-owned 0755)", async () => {
      const run = await runOnce(
        images.api.tag,
        ["--read-only", "--mount", "type=volume,destination=/tmp,volume-nocopy"],
        WRITE_TMP,
      );
      expect(run).toMatchObject({ code: 1, stdout: "EACCES" });
    });

    it("fails where /tmp is as read-only as the rest of the root (no volume there)", async () => {
      const run = await runOnce(
        images.api.tag,
        ["--read-only", "--mount", "type=tmpfs,destination=/tmp,readonly"],
        WRITE_TMP,
      );
      expect(run).toMatchObject({ code: 1, stdout: "EROFS" });
    });

    it("serves as usual from the declared volume, and leaves no volume behind", async () => {
      const before = await docker(["volume", "ls", "-q"]);
      const container = await runContainer({ image: images.api.tag, tmpfs: false });
      await waitForHttp(`${container.url}/healthz`);
      await container.remove();
      expect(await docker(["volume", "ls", "-q"])).toBe(before);
    });
  });
});
