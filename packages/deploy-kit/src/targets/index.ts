import type { Docker } from "../docker/docker.js";
import { DeployError, EXIT } from "../errors.js";
import type { Reporter } from "../output.js";
import type { Project } from "../project.js";
import type { Target } from "./target.js";

/** How long a release may take to turn healthy when --timeout is not given. */
export function defaultTimeoutMs(project: Project): number {
  return project.environment.kind === "local" ? 120_000 : 15 * 60_000;
}

/** The target of the project's environment. Local targets are loaded only when used. */
export async function createTarget(
  project: Project,
  docker: Docker,
  reporter: Reporter,
): Promise<Target> {
  if (project.environment.kind === "local") {
    const { LocalTarget } = await import("./local.js");
    return new LocalTarget({ docker, project, reporter });
  }
  throw new DeployError(
    `Environment "${project.environment.name}" is on AWS, and this version of deploy-kit releases to the local environment only.`,
    {
      hint: "Use --env local, or update deploy-kit to a version with the aws target.",
      exitCode: EXIT.usage,
    },
  );
}
