import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { openProject } from "../project.js";
import { createTarget } from "../targets/index.js";
import { releaseApps } from "./release.js";

/** Releases an earlier release again, through the same health check and switch as any release. */
export async function run(context: CommandContext, deps: { docker?: Docker } = {}) {
  const project = openProject(context);
  const docker = deps.docker ?? new DockerCli(context.env);
  await docker.ping();
  const target = await createTarget(project, docker, context.reporter);
  const [app] = project.apps;
  if (!app) throw new Error("rollback needs an app");
  const input = await target.rollbackTarget(app, context.options.to);
  context.reporter.info(`rolling ${app.name} back to ${input.tag} (${input.image})`);
  return {
    dryRun: context.options.dryRun,
    apps: await releaseApps(context, project, target, [input]),
  };
}
