import type { CommandContext } from "../cli/main.js";
import { DeployError, EXIT } from "../errors.js";
import { type CommandDeps, open } from "./deps.js";

/** The releases of one app on AWS that `rollback --to` can go back to. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, target } = await open(context, deps, { docker: false });
  const [app] = project.apps;
  if (!app) throw new Error("releases needs an app");
  if (!("releases" in target)) {
    throw new DeployError(
      "releases lists AWS releases; locally, `deploy-kit status` shows the kept ones.",
      {
        exitCode: EXIT.usage,
      },
    );
  }
  const releases = await (target as import("../aws/aws-target.js").AwsTarget).releases(app);
  for (const r of releases) {
    context.reporter.result(
      `${r.current ? "*" : " "} revision ${String(r.revision).padEnd(5)} ${r.tag.padEnd(14)} ${r.commit.slice(0, 12)}  ${r.registeredAt}  ${r.image}`,
    );
  }
  return { app: app.name, releases };
}
