import { awsEnvironmentNames, type ResolvedApp } from "@repo/platform-config/resolve";
import type { AwsTarget } from "../aws/aws-target.js";
import type { AwsClients } from "../aws/clients.js";
import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
import { DeployError, EXIT } from "../errors.js";
import { openProject, type Project } from "../project.js";
import { createTarget } from "../targets/index.js";
import type { Target } from "../targets/target.js";

/** Clients a command may be given instead of making its own (tests give fakes or mocks). */
export interface CommandDeps {
  docker?: Docker;
  aws?: AwsClients;
}

export interface Opened {
  project: Project;
  docker: Docker;
  target: Target;
}

/**
 * The project, Docker and the environment's target. Docker must answer when the command builds or
 * pushes, or when the environment is local; an AWS release or status needs no Docker at all.
 */
export async function open(
  context: CommandContext,
  deps: CommandDeps,
  needs: { docker: boolean },
): Promise<Opened> {
  const project = openProject(context);
  const docker = deps.docker ?? new DockerCli(context.env);
  if (needs.docker || project.environment.kind === "local") await docker.ping();
  return { project, docker, target: await targetOf(project, context, deps, docker) };
}

function targetOf(
  project: Project,
  context: CommandContext,
  deps: CommandDeps,
  docker: Docker,
): Promise<Target> {
  return createTarget(project, {
    docker,
    reporter: context.reporter,
    env: context.env,
    ...(deps.aws ? { aws: deps.aws } : {}),
  });
}

/**
 * The one app and the AWS target of a command that only reads AWS (`releases`, `diagnose`). A
 * local environment is refused before Docker or a target is touched; `locally` says what to use
 * there instead.
 */
export async function openAwsApp(
  context: CommandContext,
  deps: CommandDeps,
  command: string,
  locally: string,
): Promise<{ app: ResolvedApp; target: AwsTarget }> {
  const { project, target } = await openAwsApps(context, deps, command, locally);
  const [app] = project.apps;
  if (!app) throw new Error(`${command} needs an app`);
  return { app, target };
}

/** Like openAwsApp, for a command that takes any number of apps (none: every app). */
export async function openAwsApps(
  context: CommandContext,
  deps: CommandDeps,
  command: string,
  locally: string,
): Promise<{ project: Project; target: AwsTarget }> {
  const project = openProject(context);
  const [app] = project.apps;
  if (project.environment.kind !== "aws") {
    const aws = awsEnvironmentNames(project.loaded.platform);
    throw new DeployError(`${command} reads AWS, not the local environment; ${locally}`, {
      hint: aws.length
        ? `Pass the AWS environment, e.g. \`deploy-kit ${command}${app ? ` ${app.name}` : ""} --env ${aws[0]}\` (AWS environments: ${aws.join(", ")}).`
        : "Add an AWS environment under `environments` in platform.config.json first.",
      exitCode: EXIT.usage,
    });
  }
  const docker = deps.docker ?? new DockerCli(context.env);
  // createTarget makes an AwsTarget for an AWS environment.
  const target = (await targetOf(project, context, deps, docker)) as AwsTarget;
  return { project, target };
}
