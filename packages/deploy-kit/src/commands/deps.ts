import type { AwsClients } from "../aws/clients.js";
import type { CommandContext } from "../cli/main.js";
import { type Docker, DockerCli } from "../docker/docker.js";
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
  const target = await createTarget(project, {
    docker,
    reporter: context.reporter,
    env: context.env,
    ...(deps.aws ? { aws: deps.aws } : {}),
  });
  return { project, docker, target };
}
