import { readFileSync } from "node:fs";
import path from "node:path";
import type { ResolvedApp, ResolvedEnvironment } from "@repo/platform-config/resolve";
import type { CommandContext } from "../cli/main.js";
import { baseImageArgs } from "../docker/base-images.js";
import { type Docker, DockerCli, type ImageInfo } from "../docker/docker.js";
import { checkAborted, DeployError, EXIT } from "../errors.js";
import { revision } from "../git.js";
import { inputsHashes } from "../inputs.js";
import { mb, shortId } from "../output.js";
import { imageRef, LABEL, openProject, type Project } from "../project.js";
import { saveArchive } from "./archive.js";

export interface BuiltApp {
  app: string;
  image: string;
  imageId: string;
  commit: string;
  tag: string;
  sizeBytes: number;
  seconds: number;
  /** True when an image built from the same inputs was reused instead of building again. */
  reused: boolean;
}

export interface BuildDeps {
  docker?: Docker;
}

/** Builds (or reuses) the image of each app. Shared by `build` and `deploy`. */
export async function buildApps(
  context: CommandContext,
  project: Project,
  docker: Docker,
): Promise<BuiltApp[]> {
  const { reporter, options } = context;
  const rev = await revision(project.root, options.allowDirty);
  if (rev.dirty) reporter.warn(`building uncommitted changes: tag ${rev.tag}`);
  const hashes = await inputsHashes(
    project.root,
    project.apps.map((app) => app.packageName),
  );
  const built: BuiltApp[] = [];
  for (const app of project.apps) {
    checkAborted(context.signal, `stopped before building ${app.name}; nothing was changed.`);
    const one = await buildOne(context, project, docker, app, rev, hashes.get(app.packageName));
    if (!context.options.dryRun) await checkImageArchitecture(project, app, one.image, docker);
    built.push(one);
  }
  for (const b of built) {
    reporter.result(
      `${b.app}: ${b.image} ${shortId(b.imageId)} ${mb(b.sizeBytes)}${b.reused ? " (reused)" : ` built in ${b.seconds.toFixed(1)}s`}`,
    );
  }
  return built;
}

async function buildOne(
  context: CommandContext,
  project: Project,
  docker: Docker,
  app: ResolvedApp,
  rev: { commit: string; tag: string },
  inputs: string | undefined,
): Promise<BuiltApp> {
  const { reporter, options } = context;
  const image = imageRef(project, app.name, rev.tag);
  const begin = performance.now();
  const done = reporter.step(`build ${app.name} → ${image}`);

  const platform = targetPlatform(app, project.environment);
  // Same inputs as an earlier build for the same platform: give that image this tag instead of
  // building again.
  const previous = inputs
    ? (await docker.imagesWithLabel(`${LABEL.inputs}=${inputs}`)).find((candidate) =>
        isReusable(candidate, project, app, platform),
      )
    : undefined;
  if (previous) {
    if (!options.dryRun) await docker.tag(previous.id, image);
    done(
      options.dryRun
        ? "would reuse the image of unchanged inputs"
        : "inputs unchanged, image reused",
    );
    return result(app, image, previous.id, previous.size, rev, begin, true);
  }
  if (options.dryRun) {
    const flag = platform ? ` --platform ${platform}` : "";
    done(
      `would run docker build${flag} -f ${path.relative(project.root, path.join(app.dir, "Dockerfile"))} .`,
    );
    return result(app, image, "", 0, rev, begin, false);
  }
  const labels: Record<string, string> = {
    [LABEL.managed]: "true",
    [LABEL.project]: project.name,
    [LABEL.app]: app.name,
    [LABEL.commit]: rev.commit,
    [LABEL.tag]: rev.tag,
  };
  if (inputs) labels[LABEL.inputs] = inputs;
  if (platform) labels[LABEL.platform] = platform;
  const github = project.loaded.platform.github;
  await docker.build({
    context: project.root,
    dockerfile: path.join(app.dir, "Dockerfile"),
    tags: [image],
    ...(platform ? { platform } : {}),
    buildArgs: {
      // The pinned base images, or their tags / a mirror's copies when the environment says so.
      ...baseImageArgs(readFileSync(path.join(app.dir, "Dockerfile"), "utf8"), context.env),
      GIT_COMMIT: rev.commit,
      APP_VERSION: app.version,
      SOURCE_URL: github ? `https://github.com/${github.owner}/${github.repo}` : "",
    },
    labels,
    onLine: (line) => {
      // BuildKit's step headers only: enough to see where a slow build is.
      if (/^#\d+ \[/.test(line)) reporter.info(line.replace(/^#\d+ /, ""));
    },
  });
  const info = await docker.imageInspect(image);
  done(info ? `${shortId(info.id)}, ${mb(info.size)}` : undefined);
  return result(app, image, info?.id ?? "", info?.size ?? 0, rev, begin, false);
}

/** Docker's name of each architecture an app may declare (ECS's names, in the manifest). */
export const DOCKER_ARCHITECTURE = { x86_64: "amd64", arm64: "arm64" } as const;

/**
 * The platform to build an app's image for: on AWS the app's architecture in that environment
 * (`--platform linux/amd64` or `linux/arm64`), whatever machine builds it, because an image runs
 * only on the CPU it was built for and an arm64 laptop would otherwise ship arm64 images to x86
 * tasks. Locally, undefined: the engine's own platform, which is what runs the containers.
 */
export function targetPlatform(
  app: Pick<ResolvedApp, "architecture">,
  environment: Pick<ResolvedEnvironment, "kind">,
): string | undefined {
  return environment.kind === "aws" ? `linux/${DOCKER_ARCHITECTURE[app.architecture]}` : undefined;
}

/**
 * Whether an image built earlier from the same inputs may stand in for this build: the same app
 * of the same project, for the same platform. The inputs hash knows nothing of the platform, so
 * an image built natively for the local environment is reused for AWS only when its architecture
 * is the one wanted, and an image built for AWS (labelled with its --platform) is not reused
 * locally, where the engine's own platform runs.
 */
export function isReusable(
  candidate: ImageInfo,
  project: Pick<Project, "name">,
  app: Pick<ResolvedApp, "name" | "architecture">,
  platform: string | undefined,
): boolean {
  if (candidate.labels[LABEL.app] !== app.name) return false;
  if (candidate.labels[LABEL.project] !== project.name) return false;
  if (platform === undefined) return candidate.labels[LABEL.platform] === undefined;
  return candidate.architecture === DOCKER_ARCHITECTURE[app.architecture];
}

/**
 * Refuses an image that cannot run where the app runs in an AWS environment: its architecture
 * (`docker image inspect` .Architecture) must be the app's. Such an image would start no task:
 * each stops at once with "exec format error". Call it before pushing to an AWS environment;
 * the local environment runs whatever the engine runs, and is not checked.
 */
export async function checkImageArchitecture(
  project: Pick<Project, "environment">,
  app: Pick<ResolvedApp, "name" | "architecture">,
  image: string,
  docker: Pick<Docker, "imageInspect">,
): Promise<void> {
  const { environment } = project;
  if (environment.kind !== "aws") return;
  const info = await docker.imageInspect(image);
  // No image: the push says so with its own message.
  if (!info) return;
  const problem = architectureProblem(info, app, environment.name, image);
  if (problem) throw problem;
}

/** The refusal for an image of the wrong architecture, or undefined when it matches. */
export function architectureProblem(
  info: Pick<ImageInfo, "architecture" | "os">,
  app: Pick<ResolvedApp, "name" | "architecture">,
  environmentName: string,
  image: string,
): DeployError | undefined {
  const wanted = DOCKER_ARCHITECTURE[app.architecture];
  const os = info.os ?? "linux";
  if (info.architecture === wanted && os === "linux") return undefined;
  const manifest = `apps/${app.name}/deploy.json`;
  const other = app.architecture === "x86_64" ? "arm64" : "x86_64";
  const built = info.architecture ? `${os}/${info.architecture}` : "of an unknown architecture";
  return new DeployError(
    `App ${app.name}: the image ${image} is ${built}, and ${app.name} runs on ${app.architecture} (linux/${wanted}) in environment ${environmentName}: its tasks would stop with "exec format error".`,
    {
      hint: `Build it for the environment: \`deploy-kit build ${app.name} --env ${environmentName}\` builds with --platform linux/${wanted} (if the image still comes out ${built}, the engine ignored the flag: build with BuildKit, \`docker buildx\`). If the app is meant to run on ${other}, set "architecture": "${other}" in ${manifest} (or under "environments": { "${environmentName}": ... } there).`,
      exitCode: EXIT.usage,
      code: "architecture_mismatch",
    },
  );
}

function result(
  app: ResolvedApp,
  image: string,
  imageId: string,
  sizeBytes: number,
  rev: { commit: string; tag: string },
  begin: number,
  reused: boolean,
): BuiltApp {
  return {
    app: app.name,
    image,
    imageId,
    commit: rev.commit,
    tag: rev.tag,
    sizeBytes,
    seconds: Number(((performance.now() - begin) / 1000).toFixed(2)),
    reused,
  };
}

export async function run(context: CommandContext, deps: BuildDeps = {}) {
  const project = openProject(context);
  const docker = deps.docker ?? new DockerCli(context.env);
  await docker.ping();
  const built = await buildApps(context, project, docker);
  // --archive: also save the images, for the jobs that push and release them (build once).
  const archive =
    context.options.archive === undefined
      ? undefined
      : await saveArchive(
          context,
          docker,
          built.map((b) => b.image),
        );
  return { dryRun: context.options.dryRun, apps: built, ...(archive ? { archive } : {}) };
}
