import type { CommandContext } from "../cli/main.js";
import { type CommandDeps, openAwsApp } from "./deps.js";

/** The releases of one app on AWS that `rollback --to` can go back to. */
export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const { app, target } = await openAwsApp(
    context,
    deps,
    "releases",
    "locally, `deploy-kit status` shows the kept releases.",
  );
  const releases = await target.releases(app);
  // `*` marks what runs; rollback goes only to a release that succeeded. The revision column is
  // the form `rollback --to` takes (`revision 7`, `rev7` and `7` work too).
  for (const r of releases) {
    context.reporter.result(
      `${r.current ? "*" : " "} revision ${String(r.revision).padEnd(5)} ${r.outcome.padEnd(11)} ${r.tag.padEnd(14)} ${r.commit.slice(0, 12)}  ${r.registeredAt}  ${r.image}`,
    );
  }
  return { app: app.name, releases };
}
