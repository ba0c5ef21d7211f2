import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { captureOutput } from "@repo/test-kit/capture";
import { freePort } from "@repo/test-kit/free-port";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { repoRoot, tempPlatform } from "./support.js";

/** Runs the CLI in-process, as `deploy-kit ...` would from the repository root. */
async function cli(argv: string[], env: Record<string, string | undefined> = process.env) {
  const output = captureOutput();
  const { stdout, stderr } = output;
  const code = await main(argv, {
    stdout,
    stderr,
    cwd: repoRoot,
    env,
    signal: new AbortController().signal,
  });
  return { code, out: output.out, err: output.err };
}

/** The repository's apps, whichever the team has (the samples may be gone). */
function repoApps(): string[] {
  return readdirSync(path.join(repoRoot, "apps"))
    .filter((app) => existsSync(path.join(repoRoot, "apps", app, "deploy.json")))
    .sort();
}

describe("bad input gets a clear message and an exit code, never a stack trace", () => {
  let platform: ReturnType<typeof tempPlatform>;
  beforeAll(async () => {
    platform = tempPlatform(await freePort());
  });
  afterAll(() => platform.cleanup());

  it("an unknown app: exit 2, the known apps and how to add one", async () => {
    const result = await cli(["status", "nope", "--config", platform.file, "--json"]);
    expect(result.code).toBe(2);
    const body = JSON.parse(result.out);
    expect(body.error.kind).toBe("config");
    expect(body.error.message).toMatch(/nope/);
    const apps = repoApps();
    expect(body.error.message).toContain(`use one of ${apps.join(", ") || "(no apps yet)"}`);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it("an unknown environment: exit 2, the known environments", async () => {
    const result = await cli(["release", "--env", "qa", "--config", platform.file]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/qa/);
    const config = JSON.parse(readFileSync(platform.file, "utf8"));
    const names = ["local", ...Object.keys(config.environments).filter((env) => env !== "local")];
    expect(result.err).toContain(`use one of ${names.join(", ")}`);
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it.each(["releases", "diagnose"])(
    "%s of the local environment: exit 2, which --env to pass, before asking Docker",
    async (command) => {
      const [app] = repoApps();
      if (!app) return;
      const result = await cli([command, app, "--config", platform.file], {
        ...process.env,
        DOCKER_HOST: "unix:///nonexistent/docker.sock",
      });
      expect(result.code).toBe(2);
      expect(result.err).toContain(`${command} reads AWS, not the local environment`);
      expect(result.err).toMatch(/--env|Add an AWS environment/);
      expect(result.err).not.toMatch(/Docker is not running/);
    },
  );

  it("Docker not running: exit 1, how to start it", async () => {
    const result = await cli(["status", "--config", platform.file], {
      ...process.env,
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/Docker is not running/);
    expect(result.err).toMatch(/Start Docker/);
  });

  it("a missing docker command: exit 1, how to install it", async () => {
    const result = await cli(["status", "--config", platform.file], {
      ...process.env,
      PATH: "/nonexistent",
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/Docker is not installed/);
  });
});
