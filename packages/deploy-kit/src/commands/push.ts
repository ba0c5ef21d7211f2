import { awsNames } from "@repo/platform-config/names";
import type { AwsClients } from "../aws/clients.js";
import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { checkAborted, DeployError, noImageToPush } from "../errors.js";
import { revision } from "../git.js";
import { registryAnswers } from "../http.js";
import { imageRef, openProject, type Project } from "../project.js";
import { awsClientsFor } from "../targets/index.js";
import { loadArchive } from "./archive.js";
import { checkImageArchitecture } from "./build.js";

export interface PushedApp {
  app: string;
  image: string;
  /** Where it was pushed, `<registry>/<project>/<app>:<tag>`; undefined when skipped. */
  ref?: string;
  digest?: string;
  skipped?: string;
}

/** Pushes each app's image for the current revision to the environment's registry. */
export async function pushApps(
  context: CommandContext,
  project: Project,
  docker: Docker,
  images: Array<{ app: string; image: string }>,
  aws?: AwsClients,
): Promise<PushedApp[]> {
  const { environment } = project;
  // An image built on another machine (an arm64 laptop, an archive from CI) is checked before it
  // leaves: an x86_64 task of an arm64 image stops at once with "exec format error".
  if (!context.options.dryRun) {
    for (const { app, image } of images) {
      const resolved = project.apps.find((a) => a.name === app);
      if (resolved) await checkImageArchitecture(project, resolved, image, docker);
    }
  }
  // The ECR client loads only for AWS environments.
  const toEcr =
    environment.kind === "aws" && (await import("../aws/ecr.js")).isEcr(environment.registry);
  const pushed = toEcr
    ? await pushAppsToEcr(
        context,
        project,
        docker,
        images,
        await awsClientsFor(project, aws, context.reporter),
      )
    : await pushAppsToRegistry(context, project, docker, images);
  for (const p of pushed) if (p.digest) context.reporter.result(`${p.app}: ${p.ref}@${p.digest}`);
  return pushed;
}

/** Any other registry (the local one, or an AWS environment's own): `docker push`. */
async function pushAppsToRegistry(
  context: CommandContext,
  project: Project,
  docker: Docker,
  images: Array<{ app: string; image: string }>,
): Promise<PushedApp[]> {
  const { reporter, options } = context;
  const environment = project.environment;
  const registry = environment.registry;
  const answers = await registryAnswers(registry);
  if (!answers) {
    if (environment.kind === "local" && environment.registryFromDefault) {
      reporter.info(
        `no registry answers at ${registry}: push skipped (local releases run the engine's own images)`,
      );
      return images.map(({ app, image }) => ({
        app,
        image,
        skipped: `no registry at ${registry}`,
      }));
    }
    throw new DeployError(`The registry ${registry} does not answer.`, {
      hint:
        environment.kind === "local"
          ? `Start it (e.g. \`docker run -d -p 127.0.0.1:5000:5000 registry:2\`), or unset REGISTRY to skip the push.`
          : `Check the registry of environment "${environment.name}" in platform.config.json and your network.`,
    });
  }
  const pushed: PushedApp[] = [];
  for (const { app, image } of images) {
    checkAborted(
      context.signal,
      `stopped before pushing ${app}; images pushed so far stay in the registry.`,
    );
    const ref = `${registry}/${image}`;
    const done = reporter.step(`push ${app} → ${ref}`);
    if (options.dryRun) {
      done("dry run: not pushed");
      pushed.push({ app, image, ref });
      continue;
    }
    if (!(await docker.imageInspect(image))) throw noImageToPush(app, image);
    await docker.tag(image, ref);
    const { digest } = await docker.push(ref);
    done(digest);
    pushed.push({ app, image, ref, digest });
  }
  return pushed;
}

/** ECR: log in with GetAuthorizationToken, skip tags that are there already (they are immutable). */
async function pushAppsToEcr(
  context: CommandContext,
  project: Project,
  docker: Docker,
  images: Array<{ app: string; image: string }>,
  clients: AwsClients,
): Promise<PushedApp[]> {
  const { reporter, options } = context;
  // The ECR client loads only for pushes to ECR.
  const { pushToEcr } = await import("../aws/ecr.js");
  const pushed: PushedApp[] = [];
  for (const { app, image } of images) {
    checkAborted(
      context.signal,
      `stopped before pushing ${app}; images pushed so far stay in ECR.`,
    );
    const names = awsNames(project.name, project.environment.name);
    const repository = names.app(app).repository;
    const tag = image.slice(image.lastIndexOf(":") + 1);
    const ref = `${project.environment.registry}/${repository}:${tag}`;
    const done = reporter.step(`push ${app} → ${ref}`);
    if (options.dryRun) {
      done("dry run: not pushed");
      pushed.push({ app, image, ref });
      continue;
    }
    const result = await pushToEcr({
      app,
      clients,
      docker,
      registry: project.environment.registry,
      repository,
      platformStack: names.platformStack,
      localImage: image,
      tag,
    });
    done(result.skipped ? `${result.digest} (already in ECR: tags are immutable)` : result.digest);
    pushed.push({
      app,
      image,
      ref: result.ref,
      digest: result.digest,
      ...(result.skipped ? { skipped: "already in ECR" } : {}),
    });
  }
  return pushed;
}

export async function run(
  context: CommandContext,
  deps: { docker?: Docker; aws?: AwsClients } = {},
) {
  const project = openProject(context);
  const docker = deps.docker ?? new DockerCli(context.env);
  await docker.ping();
  const rev = await revision(project.root, context.options.allowDirty);
  // With --archive the images come from it (checked to be this revision's), not the engine.
  const loaded =
    context.options.archive === undefined
      ? undefined
      : await loadArchive(context, project, docker, rev);
  const images = project.apps.map((app) => ({
    app: app.name,
    image: imageRef(project, app.name, rev.tag),
  }));
  return {
    dryRun: context.options.dryRun,
    apps: await pushApps(context, project, docker, images, deps.aws),
    ...(loaded ? { load: loaded } : {}),
  };
}
