import path from "node:path";
import type { ResolvedApp } from "@repo/platform-config/resolve";
import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { checkAborted } from "../errors.js";
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
    built.push(await buildOne(context, project, docker, app, rev, hashes.get(app.packageName)));
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

  // Same inputs as an earlier build: give that image this tag instead of building again.
  const previous = inputs
    ? (await docker.imagesWithLabel(`${LABEL.inputs}=${inputs}`)).find(
        (candidate) =>
          candidate.labels[LABEL.app] === app.name &&
          candidate.labels[LABEL.project] === project.name,
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
    done(
      `would run docker build -f ${path.relative(project.root, path.join(app.dir, "Dockerfile"))} .`,
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
  const github = project.loaded.platform.github;
  await docker.build({
    context: project.root,
    dockerfile: path.join(app.dir, "Dockerfile"),
    tags: [image],
    buildArgs: {
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
