import type { CommandContext } from "../cli/main.js";
import { type CommandDeps, openAwsApp } from "./deps.js";

/** Why an app's service is failing, on demand: the same report a failed release prints. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { app, target } = await openAwsApp(
    context,
    deps,
    "diagnose",
    "locally, `deploy-kit status` and `docker logs` tell what runs.",
  );
  const lines = await target.diagnose(app);
  for (const line of lines) context.reporter.result(line);
  return { app: app.name, report: lines };
}
