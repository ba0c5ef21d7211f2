import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { DOCKER_FIX, dockerMissing, toolGate } from "@repo/test-kit/tools";
import { afterAll, describe, expect, it } from "vitest";
import { DockerCli } from "../docker.js";

const hasDocker = toolGate("container", dockerMissing(), DOCKER_FIX);

describe.skipIf(!hasDocker)("the project's network, on a real Docker engine", () => {
  const name = `dkt${randomBytes(3).toString("hex")}-local`;
  const ids = () =>
    execFileSync("docker", ["network", "ls", "--filter", `name=^${name}$`, "--format", "{{.ID}}"], {
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
  afterAll(() => {
    for (const id of ids()) execFileSync("docker", ["network", "rm", id]);
  });

  it("is one network when deploys create it at once (npm run up: one deploy per app)", async () => {
    // GIVEN no network / WHEN four deploys ensure it in parallel
    const docker = new DockerCli();
    await Promise.all([1, 2, 3, 4].map(() => docker.networkEnsure(name, { test: "true" })));

    // THEN there is one, which a container can name
    expect(ids()).toHaveLength(1);
    expect(
      execFileSync("docker", ["network", "inspect", name, "--format", "{{.Name}}"], {
        encoding: "utf8",
      }).trim(),
    ).toBe(name);
  });
});
