import type { CommandContext } from "../cli/main.js";
import { checkAborted } from "../errors.js";
import { revision } from "../git.js";
import { GitHubActions } from "../github.js";
import { imageRef, type Project } from "../project.js";
import { defaultTimeoutMs } from "../targets/index.js";
import type { ReleaseInput, ReleaseResult, Target } from "../targets/target.js";
import { loadArchive } from "./archive.js";
import { type CommandDeps, open } from "./deps.js";

/** Releases each input in turn; shared by `release`, `deploy` and `rollback`. */
export async function releaseApps(
  context: CommandContext,
  project: Project,
  target: Target,
  inputs: ReleaseInput[],
): Promise<ReleaseResult[]> {
  const results: ReleaseResult[] = [];
  for (const input of inputs) {
    checkAborted(context.signal, `stopped before releasing ${input.app.name}; it was not changed.`);
    const result = await target.release(input, {
      dryRun: context.options.dryRun,
      wait: context.options.wait,
      timeoutMs: context.options.timeoutMs ?? defaultTimeoutMs(project),
      signal: context.signal,
    });
    results.push(result);
  }
  // In GitHub Actions the released app's URL is the step's `url` output, which the deploy
  // workflow shows as its environment's URL.
  const [only] = results;
  if (results.length === 1 && only && !only.dryRun) {
    new GitHubActions(context.env).output("url", only.url);
  }
  for (const r of results) {
    context.reporter.result(
      r.dryRun
        ? `${r.app}: would release ${r.tag} at ${r.url}`
        : r.secondsToTraffic === undefined
          ? `${r.app}: ${r.url}  (${r.tag}, started, not waited for)`
          : `${r.app}: ${r.url}  (${r.tag}, traffic after ${r.secondsToTraffic.toFixed(1)}s)`,
    );
  }
  return results;
}

export async function run(context: CommandContext, deps: CommandDeps = {}) {
  const withArchive = context.options.archive !== undefined;
  const { project, docker, target } = await open(context, deps, { docker: withArchive });
  const rev = await revision(project.root, context.options.allowDirty);
  // Local releases run the engine's image, so it comes from the archive; on AWS the release runs
  // what was pushed to ECR, and loading the archive only checks it is this revision's image.
  if (withArchive) await loadArchive(context, project, docker, rev);
  const inputs = project.apps.map((app) => ({
    app,
    image: imageRef(project, app.name, rev.tag),
    commit: rev.commit,
    tag: rev.tag,
  }));
  return {
    dryRun: context.options.dryRun,
    apps: await releaseApps(context, project, target, inputs),
  };
}
