import { describe, expect, it } from "vitest";
import { type BuildSpec, buildArguments } from "../docker.js";

const spec: BuildSpec = {
  context: "/repo",
  dockerfile: "/repo/apps/api/Dockerfile",
  tags: ["shop/api:abc"],
  buildArgs: { GIT_COMMIT: "abc" },
  labels: { "deploy-kit.app": "api" },
};

describe("buildArguments", () => {
  // [title, spec, buildx, the arguments docker gets]
  it.each<[string, BuildSpec, boolean, string[]]>([
    [
      "for an AWS environment on x86_64: --platform linux/amd64, with buildx",
      { ...spec, platform: "linux/amd64" },
      true,
      [
        "buildx",
        "build",
        "--load",
        "--progress=plain",
        "-f",
        "/repo/apps/api/Dockerfile",
        "--platform",
        "linux/amd64",
        "-t",
        "shop/api:abc",
        "--build-arg",
        "GIT_COMMIT=abc",
        "--label",
        "deploy-kit.app=api",
        "/repo",
      ],
    ],
    [
      "for arm64 without buildx (BuildKit takes --platform too)",
      { ...spec, platform: "linux/arm64" },
      false,
      [
        "build",
        "--progress=plain",
        "-f",
        "/repo/apps/api/Dockerfile",
        "--platform",
        "linux/arm64",
        "-t",
        "shop/api:abc",
        "--build-arg",
        "GIT_COMMIT=abc",
        "--label",
        "deploy-kit.app=api",
        "/repo",
      ],
    ],
    [
      "for the local environment: no --platform, the engine's own",
      spec,
      true,
      [
        "buildx",
        "build",
        "--load",
        "--progress=plain",
        "-f",
        "/repo/apps/api/Dockerfile",
        "-t",
        "shop/api:abc",
        "--build-arg",
        "GIT_COMMIT=abc",
        "--label",
        "deploy-kit.app=api",
        "/repo",
      ],
    ],
  ])("%s", (_title, given, buildx, expected) => {
    expect(buildArguments(given, buildx)).toEqual(expected);
  });
});
