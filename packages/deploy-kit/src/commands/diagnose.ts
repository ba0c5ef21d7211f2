import type { CommandContext } from "../cli/main.js";
import { DeployError, EXIT } from "../errors.js";
import { type CommandDeps, open } from "./deps.js";

/** Why an app's service is failing, on demand: the same report a failed release prints. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, target } = await open(context, deps, { docker: false });
  const [app] = project.apps;
  if (!app) throw new Error("diagnose needs an app");
  if (!("diagnose" in target)) {
    throw new DeployError(
      "diagnose reads AWS; locally, `deploy-kit status` and `docker logs` tell what runs.",
      {
        exitCode: EXIT.usage,
      },
    );
  }
  const lines = await (target as import("../aws/aws-target.js").AwsTarget).diagnose(app);
  for (const line of lines) context.reporter.result(line);
  return { app: app.name, report: lines };
}
