import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  GetAuthorizationTokenCommand,
  PutImageCommand,
} from "@aws-sdk/client-ecr";
import type { Docker } from "../docker/docker.js";
import { DeployError, noImageToPush } from "../errors.js";
import type { AwsClients } from "./clients.js";

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

export function isEcr(registry: string): boolean {
  return ECR_HOST.test(registry);
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? "";
}

/**
 * The digest of `repository:tag` in ECR, or undefined when the tag is not there. `platformStack`
 * names the stack that creates the repository, for the error when it is missing.
 */
export async function ecrDigest(
  clients: AwsClients,
  repository: string,
  tag: string,
  platformStack: string,
): Promise<string | undefined> {
  try {
    const found = await clients.ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
    );
    return found.imageDetails?.[0]?.imageDigest;
  } catch (err) {
    if (errorName(err) === "ImageNotFoundException") return undefined;
    if (errorName(err) === "RepositoryNotFoundException") {
      throw new DeployError(`The ECR repository ${repository} does not exist.`, {
        hint: `Deploy the environment's platform stack first: \`npx cdk deploy ${platformStack}\` in packages/infra.`,
      });
    }
    throw err;
  }
}

export interface EcrPushInput {
  /** The app whose image this is, for the error when the engine does not have it. */
  app: string;
  clients: AwsClients;
  docker: Docker;
  registry: string;
  repository: string;
  /** The stack that creates the repository, for the error when it is missing. */
  platformStack: string;
  localImage: string;
  tag: string;
}

/**
 * Pushes `localImage` as `<registry>/<repository>:<tag>`. Tags are immutable in these
 * repositories, so an existing tag is the same build: the push is skipped and its digest given.
 * The login uses GetAuthorizationToken (no aws CLI) into a temporary DOCKER_CONFIG, so no
 * credential is left in the user's ~/.docker.
 */
export async function pushToEcr(
  input: EcrPushInput,
): Promise<{ ref: string; digest: string; skipped: boolean }> {
  const ref = `${input.registry}/${input.repository}:${input.tag}`;
  const existing = await ecrDigest(input.clients, input.repository, input.tag, input.platformStack);
  if (existing) return { ref, digest: existing, skipped: true };
  if (!(await input.docker.imageInspect(input.localImage))) {
    throw noImageToPush(input.app, input.localImage);
  }

  const token = await input.clients.ecr.send(new GetAuthorizationTokenCommand({}));
  const data = token.authorizationData?.[0];
  if (!data?.authorizationToken) throw new DeployError("ECR returned no authorization token.");
  const [username, password] = Buffer.from(data.authorizationToken, "base64")
    .toString("utf8")
    .split(":");
  if (!username || !password)
    throw new DeployError("ECR's authorization token is not in the user:password form.");
  const configDir = mkdtempSync(path.join(tmpdir(), "deploy-kit-docker-"));
  try {
    await input.docker.login(input.registry, username, password, configDir);
    await input.docker.tag(input.localImage, ref);
    const { digest } = await input.docker.push(ref, undefined, configDir);
    return { ref, digest, skipped: false };
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** `release-20261125T163000Z`: the tag that keeps a released image out of the lifecycle rules. */
export function releaseTag(at: Date): string {
  return `release-${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "")}`;
}

/**
 * Adds an immutable `release-<time>` tag to the image that was released, without pulling or
 * pushing layers (PutImage of the same manifest). The repository's lifecycle policy never expires
 * a release-tagged image (packages/infra, AppRegistry), so what an environment runs, or ran and
 * may be rolled back to, stays.
 */
export async function tagRelease(
  clients: AwsClients,
  repository: string,
  digest: string,
  at: Date,
): Promise<string> {
  const tag = releaseTag(at);
  const got = await clients.ecr.send(
    new BatchGetImageCommand({
      repositoryName: repository,
      imageIds: [{ imageDigest: digest }],
      acceptedMediaTypes: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
      ],
    }),
  );
  const image = got.images?.[0];
  if (!image?.imageManifest)
    throw new DeployError(`ECR has no manifest for ${repository}@${digest}.`);
  await clients.ecr.send(
    new PutImageCommand({
      repositoryName: repository,
      imageManifest: image.imageManifest,
      ...(image.imageManifestMediaType
        ? { imageManifestMediaType: image.imageManifestMediaType }
        : {}),
      imageTag: tag,
      imageDigest: digest,
    }),
  );
  return tag;
}
