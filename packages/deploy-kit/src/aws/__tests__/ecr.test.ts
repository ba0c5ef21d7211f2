import { existsSync } from "node:fs";
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { beforeEach, describe, expect, it } from "vitest";
import type { Docker } from "../../docker/docker.js";
import { createAwsClients } from "../clients.js";
import { isEcr, pushToEcr, releaseTag } from "../ecr.js";
import { ecr } from "./fixtures/aws-mocks.js";
import { prodEnvironment, REGION } from "./fixtures/task-definition.js";

const REGISTRY = prodEnvironment.registry;
const DIGEST = `sha256:${"d".repeat(64)}`;

/** Records what deploy-kit asks of Docker; pushes "succeed" with a digest. */
function fakeDocker() {
  const calls: string[] = [];
  let configDir = "";
  const docker = {
    imageInspect: async (ref: string) => ({ id: `sha256:${"e".repeat(64)}`, repoTags: [ref] }),
    login: async (registry: string, username: string, password: string, dir: string) => {
      configDir = dir;
      calls.push(
        `login ${registry} ${username} ${password} ${existsSync(dir) ? "private-config" : "no-config"}`,
      );
    },
    tag: async (source: string, target: string) => {
      calls.push(`tag ${source} ${target}`);
    },
    push: async (ref: string, _onLine?: unknown, dir?: string) => {
      calls.push(`push ${ref} ${dir === configDir ? "with-login" : "without-login"}`);
      return { digest: DIGEST };
    },
  } as unknown as Docker;
  return { docker, calls, configDir: () => configDir };
}

/** Pushes platform/api:abc (or `localImage`) to the api's repository as tag abc. */
const push = (docker: Docker, localImage = "platform/api:abc") =>
  pushToEcr({
    app: "api",
    clients: createAwsClients(REGION),
    docker,
    registry: REGISTRY,
    repository: "platform/prod/api",
    platformStack: "platform-prod-platform",
    localImage,
    tag: "abc",
  });

beforeEach(() => ecr.reset());

describe("pushToEcr", () => {
  it("logs in with GetAuthorizationToken into a private config, pushes, prints the digest, leaves no credential behind", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(
        Object.assign(
          new Error("The image with imageId {imageTag:'abc'} does not exist within the repository"),
          { name: "ImageNotFoundException" },
        ),
      );
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from("AWS:eyJwYXlsb2FkIjoi").toString("base64"),
          expiresAt: new Date("2026-11-26T10:00:00Z"),
          proxyEndpoint: `https://${REGISTRY}`,
        },
      ],
    });
    const fake = fakeDocker();
    const result = await push(fake.docker);
    expect(result).toEqual({
      ref: `${REGISTRY}/platform/prod/api:abc`,
      digest: DIGEST,
      skipped: false,
    });
    expect(fake.calls).toEqual([
      `login ${REGISTRY} AWS eyJwYXlsb2FkIjoi private-config`,
      `tag platform/api:abc ${REGISTRY}/platform/prod/api:abc`,
      `push ${REGISTRY}/platform/prod/api:abc with-login`,
    ]);
    expect(existsSync(fake.configDir())).toBe(false);
  });

  it("skips a tag that is already there (tags are immutable) and gives its digest", async () => {
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: DIGEST, imageTags: ["abc"], repositoryName: "platform/prod/api" },
      ],
    });
    const fake = fakeDocker();
    const result = await push(fake.docker);
    expect(result).toEqual({
      ref: `${REGISTRY}/platform/prod/api:abc`,
      digest: DIGEST,
      skipped: true,
    });
    expect(fake.calls).toEqual([]);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
  });

  it("explains a repository that does not exist", async () => {
    ecr.on(DescribeImagesCommand).rejects(
      Object.assign(new Error("The repository with name 'platform/prod/api' does not exist"), {
        name: "RepositoryNotFoundException",
      }),
    );
    await expect(push(fakeDocker().docker, "x")).rejects.toThrow(
      /The ECR repository platform\/prod\/api does not exist/,
    );
  });
});

describe("helpers", () => {
  it("recognises ECR registries", () => {
    expect(isEcr(REGISTRY)).toBe(true);
    expect(isEcr("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")).toBe(true);
    expect(isEcr("ghcr.io/acme")).toBe(false);
  });

  it("names release tags by UTC time", () => {
    expect(releaseTag(new Date("2026-11-25T16:30:05.123Z"))).toBe("release-20261125T163005Z");
  });
});
