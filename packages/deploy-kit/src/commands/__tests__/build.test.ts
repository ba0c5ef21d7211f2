import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ResolvedApp } from "@repo/platform-config/resolve";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandContext } from "../../cli/main.js";
import { parseArgv } from "../../cli/parse.js";
import type { BuildSpec, Docker, ImageInfo } from "../../docker/docker.js";
import { DeployError, EXIT } from "../../errors.js";
import { memoryReporter } from "../../output.js";
import type { Project } from "../../project.js";
import {
  architectureProblem,
  buildApps,
  checkImageArchitecture,
  isReusable,
  targetPlatform,
} from "../build.js";
import { pushApps } from "../push.js";

// This machine builds x86_64 images only, so the build itself is a fake engine that records what
// it was asked for and answers `docker image inspect` with the architecture a test chooses.

let root: string;
beforeAll(() => {
  // A committed repository: builds tag images with the commit.
  root = mkdtempSync(path.join(tmpdir(), "deploy-kit-build-"));
  mkdirSync(path.join(root, "apps", "api"), { recursive: true });
  writeFileSync(path.join(root, "apps", "api", "Dockerfile"), "FROM scratch\n");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: root,
    });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "init");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(argv: string[]): CommandContext & { reporter: { lines: string[] } } {
  const parsed = parseArgv(argv);
  if (parsed.kind !== "run") throw new Error("not a command line");
  return {
    cwd: root,
    apps: parsed.apps,
    options: parsed.options,
    reporter: memoryReporter(),
    signal: new AbortController().signal,
    env: {},
  };
}

function app(architecture: ResolvedApp["architecture"]): ResolvedApp {
  return {
    name: "api",
    packageName: "@repo/api",
    version: "1.0.0",
    dir: path.join(root, "apps", "api"),
    architecture,
  } as ResolvedApp;
}

function project(
  environment: "local" | "staging",
  architecture: ResolvedApp["architecture"],
): Project {
  return {
    name: "shop",
    root,
    loaded: { platform: {} },
    environment:
      environment === "local" ? { kind: "local", name: "local" } : { kind: "aws", name: "staging" },
    apps: [app(architecture)],
  } as unknown as Project;
}

/** An engine that builds instantly; its images have `architecture` (Docker's word). */
function fakeDocker(architecture: string) {
  const builds: BuildSpec[] = [];
  const image = (ref: string): ImageInfo => ({
    id: `sha256:${"c".repeat(64)}`,
    size: 1,
    created: "",
    labels: {},
    repoTags: [ref],
    repoDigests: [],
    architecture,
    os: "linux",
  });
  const docker = {
    imagesWithLabel: async () => [],
    build: async (spec: BuildSpec) => {
      builds.push(spec);
    },
    imageInspect: async (ref: string) => image(ref),
  } as unknown as Docker;
  return { docker, builds };
}

describe("buildApps", () => {
  // [environment, the app's architecture there, the --platform docker gets]
  it.each<["local" | "staging", ResolvedApp["architecture"], string | undefined]>([
    ["staging", "x86_64", "linux/amd64"],
    ["staging", "arm64", "linux/arm64"],
    ["local", "x86_64", undefined],
    ["local", "arm64", undefined],
  ])(
    "for %s and an %s app builds with --platform %s",
    async (environment, architecture, platform) => {
      // GIVEN an engine whose images come out as the platform asked (native ones as amd64)
      const { docker, builds } = fakeDocker(platform === "linux/arm64" ? "arm64" : "amd64");
      // WHEN the app is built
      await buildApps(
        context(["build", "--env", environment]),
        project(environment, architecture),
        docker,
      );
      // THEN
      expect(builds).toHaveLength(1);
      expect(builds[0]?.platform).toBe(platform);
      expect(builds[0]?.labels?.["deploy-kit.platform"]).toBe(platform);
    },
  );

  it("refuses an image that came out for another architecture than the app runs on", async () => {
    // GIVEN an engine that ignores --platform and builds arm64 (as an old one might)
    const { docker } = fakeDocker("arm64");
    // WHEN an x86_64 app is built for staging
    const error = await buildApps(
      context(["build", "--env", "staging"]),
      project("staging", "x86_64"),
      docker,
    ).catch((caught: unknown) => caught);
    // THEN the app, the image's architecture, the environment's, and the fix
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).message).toMatch(
      /^App api: the image shop\/api:[0-9a-f]{12} is linux\/arm64, and api runs on x86_64 \(linux\/amd64\) in environment staging: its tasks would stop with "exec format error"\.$/,
    );
    expect((error as DeployError).hint).toBe(
      'Build it for the environment: `deploy-kit build api --env staging` builds with --platform linux/amd64 (if the image still comes out linux/arm64, the engine ignored the flag: build with BuildKit, `docker buildx`). If the app is meant to run on arm64, set "architecture": "arm64" in apps/api/deploy.json (or under "environments": { "staging": ... } there).',
    );
    expect((error as DeployError).exitCode).toBe(EXIT.usage);
  });

  it("builds nothing and checks nothing in a dry run, saying which platform it would build for", async () => {
    const { docker, builds } = fakeDocker("arm64");
    const ctx = context(["build", "--env", "staging", "--dry-run"]);
    await buildApps(ctx, project("staging", "x86_64"), docker);
    expect(builds).toEqual([]);
    expect(ctx.reporter.lines.join("\n")).toContain(
      "would run docker build --platform linux/amd64 -f apps/api/Dockerfile .",
    );
  });
});

describe("checkImageArchitecture, before a push to AWS", () => {
  it.each<[string, "local" | "staging", ResolvedApp["architecture"], string, boolean]>([
    ["an amd64 image of an x86_64 app on AWS", "staging", "x86_64", "amd64", true],
    ["an arm64 image of an arm64 app on AWS", "staging", "arm64", "arm64", true],
    ["an arm64 image of an x86_64 app on AWS", "staging", "x86_64", "arm64", false],
    ["an amd64 image of an arm64 app on AWS", "staging", "arm64", "amd64", false],
    ["any image locally, where the engine runs what it has", "local", "x86_64", "arm64", true],
  ])("%s", async (_title, environment, architecture, imageArchitecture, passes) => {
    const { docker } = fakeDocker(imageArchitecture);
    const check = checkImageArchitecture(
      project(environment, architecture),
      app(architecture),
      "shop/api:abc",
      docker,
    );
    if (passes) await expect(check).resolves.toBeUndefined();
    else await expect(check).rejects.toThrow(/^App api: the image shop\/api:abc is linux\//);
  });

  it("names the other way out for an arm64 app given an amd64 image", () => {
    const problem = architectureProblem(
      { architecture: "amd64", os: "linux" },
      app("arm64"),
      "prod",
      "shop/api:abc",
    );
    expect(problem?.message).toBe(
      'App api: the image shop/api:abc is linux/amd64, and api runs on arm64 (linux/arm64) in environment prod: its tasks would stop with "exec format error".',
    );
    expect(problem?.hint).toContain(
      "`deploy-kit build api --env prod` builds with --platform linux/arm64",
    );
    expect(problem?.hint).toContain('set "architecture": "x86_64" in apps/api/deploy.json');
  });
});

describe("reusing an image of unchanged inputs", () => {
  const candidate = (labels: Record<string, string>, architecture: string): ImageInfo => ({
    id: "sha256:x",
    size: 1,
    created: "",
    labels: { "deploy-kit.app": "api", "deploy-kit.project": "shop", ...labels },
    repoTags: [],
    repoDigests: [],
    architecture,
  });
  const shop = { name: "shop" };

  it.each<[string, ImageInfo, ResolvedApp["architecture"], string | undefined, boolean]>([
    [
      "a native amd64 build, for an x86_64 app on AWS",
      candidate({}, "amd64"),
      "x86_64",
      "linux/amd64",
      true,
    ],
    [
      "a native arm64 build (an arm64 laptop), for an x86_64 app on AWS",
      candidate({}, "arm64"),
      "x86_64",
      "linux/amd64",
      false,
    ],
    [
      "an AWS build for linux/arm64, for an arm64 app on AWS",
      candidate({ "deploy-kit.platform": "linux/arm64" }, "arm64"),
      "arm64",
      "linux/arm64",
      true,
    ],
    [
      "an AWS build for linux/amd64, locally",
      candidate({ "deploy-kit.platform": "linux/amd64" }, "amd64"),
      "x86_64",
      undefined,
      false,
    ],
    ["a native build, locally", candidate({}, "arm64"), "x86_64", undefined, true],
    [
      "another app's image",
      candidate({ "deploy-kit.app": "web" }, "amd64"),
      "x86_64",
      "linux/amd64",
      false,
    ],
  ])("%s", (_title, image, architecture, platform, reusable) => {
    expect(isReusable(image, shop, app(architecture), platform)).toBe(reusable);
  });

  it("targets the app's architecture on AWS and the engine's own platform locally", () => {
    expect(targetPlatform({ architecture: "arm64" }, { kind: "aws" })).toBe("linux/arm64");
    expect(targetPlatform({ architecture: "x86_64" }, { kind: "aws" })).toBe("linux/amd64");
    expect(targetPlatform({ architecture: "arm64" }, { kind: "local" })).toBeUndefined();
  });
});

describe("pushApps, with an image of the wrong architecture", () => {
  it("refuses before anything is pushed (exit 2), naming the app, both architectures and the fix", async () => {
    // GIVEN an arm64 image (built on an arm64 laptop, or loaded from an archive) of an x86_64 app
    const { docker } = fakeDocker("arm64");
    let pushed = 0;
    Object.assign(docker, {
      push: async () => {
        pushed++;
        return { digest: `sha256:${"d".repeat(64)}` };
      },
    });
    // WHEN it is pushed to an AWS environment
    const error = await pushApps(
      context(["push", "--env", "staging"]),
      project("staging", "x86_64"),
      docker,
      [{ app: "api", image: "shop/api:abc" }],
    ).catch((caught: unknown) => caught);
    // THEN nothing left the machine
    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).exitCode).toBe(EXIT.usage);
    expect((error as DeployError).message).toMatch(
      /App api: the image shop\/api:abc is linux\/arm64, and api runs on x86_64 \(linux\/amd64\) in environment staging/,
    );
    expect(pushed).toBe(0);
  });
});
