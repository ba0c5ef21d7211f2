import type { CommandContext } from "../cli/main.js";
import { defaultTimeoutMs } from "../targets/index.js";
import { type CommandDeps, openAwsApps } from "./deps.js";

/**
 * Records, per app, the image that runs in the app's SSM parameter (what the next `cdk deploy`
 * reads) and marks a release found running as succeeded, after waiting for a deployment in
 * progress. Every AWS command does this for the apps it touches; the infra workflow runs this
 * before `cdk deploy`, so that a release that was not waited for, timed out or was interrupted is
 * never undone by a stack update.
 */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { project, target } = await openAwsApps(
    context,
    deps,
    "reconcile",
    "the local environment keeps no records to reconcile.",
  );
  const reports = await target.reconcileApps(project.apps, {
    wait: context.options.wait,
    timeoutMs: context.options.timeoutMs ?? defaultTimeoutMs(project),
    signal: context.signal,
  });
  for (const r of reports) {
    context.reporter.result(
      `${r.app.padEnd(10)} ${r.state.padEnd(12)} ${r.image ?? ""}${r.recordedOver !== undefined ? `  (was ${r.recordedOver})` : ""}`,
    );
  }
  return { apps: reports };
}
