import { RawConnection, within } from "@repo/test-kit/http-socket";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltImage,
  buildImage,
  docker,
  removeAllContainers,
  runContainer,
  waitForHttp,
} from "../docker.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);

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

    it("closes idle keep-alive connections on SIGTERM and exits 0", async () => {
      const container = await runContainer({ image: images[app].tag, env: START_ENV[app] });
      await waitForHttp(`${container.url}/healthz`);
      const idle = await RawConnection.open(container.port);
      idle.write("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
      await idle.until((text) => text.includes('{"status":"ok"}'));

      await docker(["kill", "--signal", "SIGTERM", container.id]);
      expect(await within(idle.closed, 3_000)).toBe(true);
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

  it("api: on SIGTERM an in-flight request finishes, new connections get nothing, exit 0 in seconds", async () => {
    const container = await runContainer({ image: images.api.tag });
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
    expect(await within(idle.closed, 3_000)).toBe(true);
    await expect(
      fetch(`${container.url}/healthz`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();

    inFlight.write(body.slice(8));
    const answer = await inFlight.until((text) => text.includes("written during shutdown"));
    expect(answer).toMatch(/^HTTP\/1\.1 201 Created/);
    expect(answer.toLowerCase()).toContain("connection: close");

    expect(await docker(["wait", container.id], 30_000)).toBe("0");
    expect(performance.now() - signalled).toBeLessThan(10_000);
    const logs = await container.logs();
    expect(logs).toContain('"msg":"shutting down"');
    expect(logs).toContain('"msg":"stopped"');
    await container.remove();
  });
});
