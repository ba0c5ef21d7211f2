import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { DeployError, EXIT } from "../errors.js";
import { openProject } from "../project.js";
import { LocalTarget } from "../targets/local.js";

/** Removes every container and network deploy-kit made locally; images and anything else stay. */
export async function run(context: CommandContext, deps: { docker?: Docker } = {}) {
  const project = openProject(context);
  if (project.environment.kind !== "local") {
    throw new DeployError(
      `down only removes the local environment; "${project.environment.name}" is on AWS.`,
      {
        hint: "Remove AWS environments with `cdk destroy` in packages/infra.",
        exitCode: EXIT.usage,
      },
    );
  }
  const docker = deps.docker ?? new DockerCli(context.env);
  await docker.ping();
  const target = new LocalTarget({ docker, project, reporter: context.reporter });
  const done = context.reporter.step(`remove the local environment of ${project.name}`);
  const removed = await target.down(context.options.dryRun);
  done(
    `${removed.containers.length} container(s), ${removed.networks.length} network(s)${context.options.dryRun ? " (dry run: nothing removed)" : ""}`,
  );
  return { dryRun: context.options.dryRun, removed };
}
