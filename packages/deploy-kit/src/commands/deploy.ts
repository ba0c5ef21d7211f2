import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { openProject } from "../project.js";
import { createTarget } from "../targets/index.js";
import { buildApps } from "./build.js";
import { pushApps } from "./push.js";
import { releaseApps } from "./release.js";

/** build + push + release, one image per commit promoted as it is. */
export async function run(context: CommandContext, deps: { docker?: Docker } = {}) {
  const project = openProject(context);
  const docker = deps.docker ?? new DockerCli(context.env);
  await docker.ping();
  const target = await createTarget(project, docker, context.reporter);
  const built = await buildApps(context, project, docker);
  const pushed = await pushApps(context, project, docker, built);
  const released = await releaseApps(
    context,
    project,
    target,
    // buildApps keeps the order of project.apps.
    project.apps.map((app, index) => {
      const b = built[index] as (typeof built)[number];
      return { app, image: b.image, commit: b.commit, tag: b.tag };
    }),
  );
  return {
    dryRun: context.options.dryRun,
    apps: released.map((release) => ({
      ...release,
      build: built.find((b) => b.app === release.app),
      push: pushed.find((p) => p.app === release.app),
    })),
  };
}
