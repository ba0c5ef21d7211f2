import type { CommandContext } from "../cli/main.js";
import { type CommandDeps, open } from "./deps.js";
import { releaseApps } from "./release.js";

/** Releases an earlier release again, through the same health check and switch as any release. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, target } = await open(context, deps, { docker: false });
  const [app] = project.apps;
  if (!app) throw new Error("rollback needs an app");
  const input = await target.rollbackTarget(app, context.options.to);
  context.reporter.info(`rolling ${app.name} back to ${input.tag} (${input.image})`);
  return {
    dryRun: context.options.dryRun,
    apps: await releaseApps(context, project, target, [input]),
  };
}
