import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "@repo/test-kit/free-port";
import { viaEdge } from "@repo/test-kit/http-socket";
import { RepoCopy } from "@repo/test-kit/repo-copy";
import {
  CHROMIUM_ARGS,
  CHROMIUM_FIX,
  chromiumMissing,
  chromiumPath,
  DOCKER_FIX,
  dockerMissing,
  toolGate,
} from "@repo/test-kit/tools";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, deployKit, steadyLoad } from "../deploy-kit-cli.js";
import { docker, registryDigest } from "../docker.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);
const hasChromium = hasDocker && toolGate("browser", chromiumMissing(), CHROMIUM_FIX);
const REGISTRY = process.env.REGISTRY ?? "127.0.0.1:5000";

describe.skipIf(!hasDocker)("deploy-kit and the local environment, on a real Docker engine", () => {
  let copy: RepoCopy;
  let port = 0;
  const commits: string[] = [];
  const apiInfo = async () => JSON.parse((await viaEdge(port, "api.localhost", "/v1/info")).body);

  beforeAll(async () => {
    port = await freePort();
    copy = RepoCopy.create({ edgePort: port, local: { registry: REGISTRY } });
    commits.push(copy.git("rev-parse", "HEAD"));
  });

  afterAll(async () => {
    if (!copy) return;
    await deployKit(copy.dir, ["down"]);
    copy.remove();
  });

  it("deploys every app: built, pushed, released, each at its own host name", async () => {
    const run = await deployKit(copy.dir, ["deploy"]);
    expect(run.stderr).not.toMatch(/✗/);
    expect(run.code).toBe(0);
    expect(run.json.ok).toBe(true);
    expect(run.json.apps.map((app: { url: string }) => app.url)).toEqual([
      `http://api.localhost:${port}`,
      `http://web.localhost:${port}`,
    ]);
    expect(run.stderr).toMatch(/→ build api/);
    expect(run.stderr).toMatch(/✓ route api.localhost to/);

    const info = await apiInfo();
    expect(info).toMatchObject({ name: "api", environment: "local", commit: commits[0] });
    const page = await viaEdge(port, "web.localhost", "/");
    expect(page.body).toContain('<div id="root">');
    expect((await viaEdge(port, "web.localhost", "/config.js")).body).toContain(
      `"apiUrl":"http://api.localhost:${port}"`,
    );
    const unknown = await viaEdge(port, "nope.localhost", "/");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(`http://api.localhost:${port}`);
    expect(unknown.body).toContain(`http://web.localhost:${port}`);
  });

  it("an app container on the local network cannot change an edge route (401), and the route stays", async () => {
    const project = JSON.parse(readFileSync(path.join(copy.dir, "platform.config.json"), "utf8"))
      .project as string;
    const edge = `${project}-edge`;
    const before = await deployKit(copy.dir, ["status", "api"]);
    const routed = before.json.apps[0].release as string;
    const image = await docker(["inspect", "-f", "{{.Config.Image}}", routed]);
    // Like ECS's initProcessEnabled: an init process is PID 1, the app runs under it.
    expect(await docker(["inspect", "-f", "{{.HostConfig.Init}}", routed])).toBe("true");
    // What a compromised app could do: it reaches the admin port by the edge's name, and sends
    // every header the old guard asked for.
    const attack = `
      const body = JSON.stringify({ upstream: "http://evil:1" });
      const req = require("http").request({ host: "${edge}", port: 9901, method: "PUT",
        path: "/routes/api.localhost", headers: { host: "127.0.0.1", "x-deploy-kit": "1",
        authorization: "Bearer " + "x".repeat(43), "content-type": "application/json" } },
        (res) => { console.log(res.statusCode); res.resume(); });
      req.on("error", (err) => { console.log("error " + err.message); });
      req.end(body);`;
    const status = await docker([
      ...["run", "--rm", "--network", `${project}-local`, "--cap-drop", "ALL", "--read-only"],
      ...["--security-opt", "no-new-privileges", "--entrypoint", "/nodejs/bin/node", image],
      ...["-e", attack],
    ]);

    expect(status).toBe("401");
    const after = await deployKit(copy.dir, ["status", "api"]);
    expect(after.json.apps[0]).toMatchObject({ release: routed, health: "healthy" });
    expect((await viaEdge(port, "api.localhost", "/healthz")).status).toBe(200);
    // The token is in the edge's environment and nowhere it could be read from a log.
    const env = await docker(["inspect", "-f", "{{json .Config.Env}}", edge]);
    const token = /EDGE_ADMIN_TOKEN=([^"]+)/.exec(env)?.[1] ?? "";
    expect(token.length).toBeGreaterThanOrEqual(32);
    const logs = await docker(["logs", edge]).catch(() => "");
    expect(`${logs}${before.stderr}${after.stderr}${JSON.stringify(after.json)}`).not.toContain(
      token,
    );
  });

  it("pushed each image to the registry, which returns the same digest", async () => {
    const run = await deployKit(copy.dir, ["push", "api"]);
    expect(run.code).toBe(0);
    const [api] = run.json.apps;
    expect(api.ref).toBe(`${REGISTRY}/${copy.project}/api:${commits[0]?.slice(0, 12)}`);
    expect(api.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      await registryDigest(REGISTRY, `${copy.project}/api`, `${commits[0]?.slice(0, 12)}`),
    ).toBe(api.digest);
  });

  it("builds again from unchanged inputs by reusing the images", async () => {
    const run = await deployKit(copy.dir, ["build"]);
    expect(run.code).toBe(0);
    expect(run.json.apps.map((app: { reused: boolean }) => app.reused)).toEqual([true, true]);
  });

  it("releases a new version of the api under steady load with zero failed requests", async () => {
    copy.append("apps/api/src/app.ts", "\n// version 2\n");
    commits.push(copy.commit("api: version 2"));
    const before = await apiInfo();
    const load = steadyLoad(port, "api.localhost", "/v1/info");
    const run = await deployKit(copy.dir, ["deploy", "api"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { served, failures } = await load.stop();

    expect(run.code).toBe(0);
    expect(run.json.apps[0].build.reused).toBe(false);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(100);
    const after = await apiInfo();
    expect(after.commit).toBe(commits[1]);
    expect(after.uptimeSeconds).toBeLessThanOrEqual(before.uptimeSeconds + 60);
  });

  it("a release that never turns healthy leaves the old one serving, exits 1 and says why", async () => {
    copy.prepend("apps/api/src/server.ts", 'throw new Error("cannot start: no database");\n');
    copy.commit("api: broken");
    const run = await deployKit(copy.dir, ["deploy", "api", "--timeout", "20s"]);
    expect(run.code).toBe(1);
    expect(run.json.error.message).toMatch(/did not become healthy: it exited with code 1/);
    expect(run.json.error.message).toMatch(/the previous release .* keeps serving/);
    expect(run.json.error.details.join("\n")).toContain("cannot start: no database");
    expect(run.stderr).not.toMatch(/\n\s+at .*dist\/cli/);
    expect((await apiInfo()).commit).toBe(commits[1]);
    copy.git("revert", "--no-edit", "HEAD");
  });

  it("Ctrl-C while a new release starts: exit 130, the new container removed, the old one serving", async () => {
    // A server that takes a minute to listen: the release is still waiting when Ctrl-C comes.
    copy.prepend(
      "apps/api/src/server.ts",
      "await new Promise((resolve) => setTimeout(resolve, 60_000));\n",
    );
    copy.commit("api: slow start");
    const child = spawn(process.execPath, [CLI, "deploy", "api", "--json"], {
      cwd: copy.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (!interrupted && /→ wait for .* to answer/.test(stderr)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
    expect(code).toBe(130);
    const result = JSON.parse(stdout);
    expect(result.error.kind).toBe("interrupted");
    expect(result.error.message).toMatch(
      /it was removed and the previous release .* keeps serving/,
    );
    expect((await apiInfo()).commit).toBe(commits[1]);
    const running = await docker([
      "ps",
      "-q",
      "--filter",
      `label=deploy-kit.project=${copy.project}`,
      "--filter",
      "label=deploy-kit.app=api",
    ]);
    expect(running.split("\n").filter(Boolean)).toHaveLength(1);
    copy.git("revert", "--no-edit", "HEAD");
  });

  it("rolls back to the previous release", async () => {
    const run = await deployKit(copy.dir, ["rollback", "api"]);
    expect(run.code).toBe(0);
    expect(run.json.apps[0].commit).toBe(commits[0]);
    expect((await apiInfo()).commit).toBe(commits[0]);
  });

  it("reports status: image, commit, health, URL, since when", async () => {
    const run = await deployKit(copy.dir, ["status"]);
    expect(run.code).toBe(0);
    const [api, web] = run.json.apps;
    expect(api).toMatchObject({
      app: "api",
      state: "running",
      health: "healthy",
      commit: commits[0],
      url: `http://api.localhost:${port}`,
    });
    expect(web).toMatchObject({
      app: "web",
      state: "running",
      health: "healthy",
      url: `http://web.localhost:${port}`,
    });
    expect(api.image).toMatch(new RegExp(`^${copy.project}/api:`));
    expect(Date.parse(api.since)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(api.history.map((h: { commit: string }) => h.commit)).toContain(commits[1]);
  });

  it.skipIf(!hasChromium)(
    "the web page, opened through the edge, shows data from the api",
    async () => {
      const browser = await chromium.launch({
        executablePath: chromiumPath(),
        args: CHROMIUM_ARGS,
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(`http://web.localhost:${port}/`);
        await page.getByTestId("api-environment").getByText("local").waitFor({ timeout: 15_000 });
        expect(await page.getByTestId("health").textContent()).toBe("healthy");
        expect(await page.getByTestId("api-info").textContent()).toContain(commits[0]);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  describe("bad input", () => {
    let blocker: Server;
    let configDir: string;
    beforeAll(() => {
      configDir = mkdtempSync(path.join(tmpdir(), "deploy-kit-config-"));
    });
    afterAll(() => {
      blocker?.close();
      rmSync(configDir, { recursive: true, force: true });
    });

    it("the edge port taken: exit 1, the port and the setting to change", async () => {
      const taken = await freePort();
      blocker = createServer().listen(taken, "127.0.0.1");
      const file = path.join(configDir, "taken.json");
      const config = JSON.parse(readFileSync(path.join(copy.dir, "platform.config.json"), "utf8"));
      config.project = `${copy.project}t`;
      config.environments.local.edgePort = taken;
      writeFileSync(file, JSON.stringify(config));
      const run = await deployKit(copy.dir, ["deploy", "api", "--config", file]);
      await deployKit(copy.dir, ["down", "--config", file]);
      expect(run.code).toBe(1);
      expect(run.json.error.message).toMatch(new RegExp(`Port ${taken} on 127.0.0.1 is taken`));
      expect(run.json.error.hint).toMatch(/environments.local.edgePort/);
    });

    it("the registry down: exit 1, which registry and what to do", async () => {
      const closed = await freePort();
      const run = await deployKit(copy.dir, ["push", "api"], { REGISTRY: `127.0.0.1:${closed}` });
      expect(run.code).toBe(1);
      expect(run.json.error.message).toBe(`The registry 127.0.0.1:${closed} does not answer.`);
    });

    it("an unknown app and an unknown environment: exit 2", async () => {
      const app = await deployKit(copy.dir, ["deploy", "nope"]);
      expect(app.code).toBe(2);
      expect(app.json.error.message).toMatch(/nope/);
      const env = await deployKit(copy.dir, ["deploy", "api", "--env", "qa"]);
      expect(env.code).toBe(2);
      expect(env.json.error.message).toMatch(/qa/);
    });
  });

  it("down removes every container and network it made, and nothing else", async () => {
    const outsider = await docker([
      "create",
      "--name",
      `${copy.project}-outsider`,
      "--label",
      "deploy-kit.project=other",
      "node:24-bookworm-slim",
    ]);
    try {
      const run = await deployKit(copy.dir, ["down"]);
      expect(run.code).toBe(0);
      expect(run.json.removed.networks).toEqual([`${copy.project}-local`]);
      expect(run.json.removed.containers).toContain(`${copy.project}-edge`);
      expect(
        await docker(["ps", "-a", "-q", "--filter", `label=deploy-kit.project=${copy.project}`]),
      ).toBe("");
      expect(await docker(["network", "ls", "-q", "--filter", `name=${copy.project}-local`])).toBe(
        "",
      );
      expect(await docker(["inspect", "-f", "{{.Name}}", outsider])).toBe(
        `/${copy.project}-outsider`,
      );
      expect(
        await docker([
          "image",
          "inspect",
          "-f",
          "{{.Id}}",
          `${copy.project}/api:${commits[0]?.slice(0, 12)}`,
        ]),
      ).toMatch(/^sha256:/);
    } finally {
      await docker(["rm", "-f", outsider]);
    }
  });
});
