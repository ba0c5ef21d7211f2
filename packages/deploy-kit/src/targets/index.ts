import type { AwsClients } from "../aws/clients.js";
import type { Docker } from "../docker/docker.js";
import type { Reporter } from "../output.js";
import type { Project } from "../project.js";
import type { Target } from "./target.js";

/** How long a release may take to turn healthy when --timeout is not given. */
export function defaultTimeoutMs(project: Project): number {
  return project.environment.kind === "local" ? 120_000 : 15 * 60_000;
}

export interface TargetDeps {
  docker: Docker;
  reporter: Reporter;
  env: Record<string, string | undefined>;
  /** AWS clients for the environment's region; made from the SDK's default chain when absent. */
  aws?: AwsClients;
}

/** The AWS clients for the project's (AWS) environment, made on first use. */
export async function awsClientsFor(
  project: Project,
  given: AwsClients | undefined,
  reporter: Reporter,
): Promise<AwsClients> {
  if (given) return given;
  if (project.environment.kind !== "aws") throw new Error("AWS clients for a local environment");
  const { createAwsClients, quietNodeSupportWarning } = await import("../aws/clients.js");
  const notice = quietNodeSupportWarning();
  if (notice) reporter.notice(notice);
  return createAwsClients(project.environment.region);
}

/** The target of the project's environment, loaded only when used (the AWS SDK is large). */
export async function createTarget(project: Project, deps: TargetDeps): Promise<Target> {
  const environment = project.environment;
  if (environment.kind === "local") {
    const { LocalTarget } = await import("./local.js");
    return new LocalTarget({ docker: deps.docker, project, reporter: deps.reporter });
  }
  const { AwsTarget } = await import("../aws/aws-target.js");
  return new AwsTarget({
    clients: await awsClientsFor(project, deps.aws, deps.reporter),
    project: project.name,
    environment,
    reporter: deps.reporter,
    env: deps.env,
  });
}
