import type { CommandContext } from "../cli/main.js";
import { revision } from "../git.js";
import { loadArchive } from "./archive.js";
import { buildApps } from "./build.js";
import { type CommandDeps, open } from "./deps.js";
import { pushApps } from "./push.js";
import { releaseApps } from "./release.js";

/**
 * build + push + release, one image per commit promoted as it is. With --archive the images are
 * loaded from the archive a `build --archive` made (in CI: the build job) instead of built.
 */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, docker, target } = await open(context, deps, { docker: true });
  const built =
    context.options.archive === undefined
      ? await buildApps(context, project, docker)
      : await loadArchive(
          context,
          project,
          docker,
          await revision(project.root, context.options.allowDirty),
        );
  const pushed = await pushApps(context, project, docker, built, deps.aws);
  const released = await releaseApps(
    context,
    project,
    target,
    // buildApps and loadArchive keep the order of project.apps.
    project.apps.map((app, index) => {
      const b = built[index] as (typeof built)[number];
      const p = pushed[index];
      // On AWS the release runs the pushed image, pinned by its digest.
      const image =
        project.environment.kind === "aws" && p?.digest
          ? `${p.ref?.replace(/:[^:/]+$/, "")}@${p.digest}`
          : b.image;
      return { app, image, commit: b.commit, tag: b.tag };
    }),
  );
  return {
    dryRun: context.options.dryRun,
    apps: released.map((release) => ({
      ...release,
      [context.options.archive === undefined ? "build" : "load"]: built.find(
        (b) => b.app === release.app,
      ),
      push: pushed.find((p) => p.app === release.app),
    })),
  };
}
