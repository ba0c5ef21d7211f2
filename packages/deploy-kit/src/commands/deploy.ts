import type { CommandContext } from "../cli/main.js";
import { buildApps } from "./build.js";
import { type CommandDeps, open } from "./deps.js";
import { pushApps } from "./push.js";
import { releaseApps } from "./release.js";

/** build + push + release, one image per commit promoted as it is. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, docker, target } = await open(context, deps, { docker: true });
  const built = await buildApps(context, project, docker);
  const pushed = await pushApps(context, project, docker, built, deps.aws);
  const released = await releaseApps(
    context,
    project,
    target,
    // buildApps keeps the order of project.apps.
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
      build: built.find((b) => b.app === release.app),
      push: pushed.find((p) => p.app === release.app),
    })),
  };
}
