import { loadPlatform } from "@repo/platform-config/load";
import { awsNames, githubEnvironments, iamRoleArn } from "@repo/platform-config/names";
import { awsEnvironmentNames, resolveEnvironment } from "@repo/platform-config/resolve";

/**
 * What a workflow needs to know about one AWS environment, from platform.config.json and the
 * names the platform gives its resources (@repo/platform-config/names): where it is, which
 * stacks are its own, and the roles its GitHub OIDC provider lets workflows assume.
 *
 * infra.yml's pull-request jobs need it: they run in no GitHub environment (the read-only diff
 * role trusts pull-request jobs, and a pull request should not wait for prod's approval), so no
 * environment variable reaches them, and the ARN is derived here instead of written twice.
 */
export interface PlatformEnvironment {
  project: string;
  environment: string;
  account: string;
  region: string;
  /** A `cdk` stack pattern that selects the environment's stacks and no other. */
  stacks: string;
  "deploy-role-arn": string;
  "infra-role-arn": string;
  "infra-diff-role-arn": string;
  /** The GitHub environment of the app releases (deploy.yml), which the deploy role trusts. */
  "github-environment": string;
  /** The GitHub environment of `cdk deploy` (infra-deploy.yml), which the infra role trusts. */
  "github-infra-environment": string;
}

export function platformEnvironment(cwd: string, name: string): PlatformEnvironment {
  const loaded = loadPlatform({ cwd });
  const { project } = loaded.platform;
  const aws = awsEnvironmentNames(loaded.platform);
  if (!aws.includes(name)) {
    throw new Error(
      `"${name}" is not an AWS environment of platform.config.json: use one of ${aws.join(", ") || "(none yet: add one under environments)"}.`,
    );
  }
  const environment = resolveEnvironment(loaded.platform, name, {});
  if (environment.kind !== "aws") throw new Error(`internal: ${name} is not an AWS environment`);
  const names = awsNames(project, name);
  const role = (roleName: string) => iamRoleArn(environment.account, environment.region, roleName);
  return {
    project,
    environment: name,
    account: environment.account,
    region: environment.region,
    // The stacks are `<project>-<env>-platform` and `<project>-<env>-app-<app>`.
    stacks: `${names.platformStack.replace(/-platform$/, "")}-*`,
    "deploy-role-arn": role(names.deployRole),
    "infra-role-arn": role(names.infraRole),
    "infra-diff-role-arn": role(names.infraDiffRole),
    "github-environment": githubEnvironments(name).release,
    "github-infra-environment": githubEnvironments(name).infra,
  };
}

const HELP = `platform-env: one AWS environment's facts, as GitHub step outputs

Usage: platform-env <environment>      e.g. npx platform-env staging >> "$GITHUB_OUTPUT"

Prints key=value lines: project, environment, account, region, stacks (a cdk stack pattern),
deploy-role-arn, infra-role-arn, infra-diff-role-arn, github-environment (the releases' GitHub
environment), github-infra-environment (cdk deploy's); all from platform.config.json.`;

export function platformEnvMain(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; cwd: string },
): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (argv.length !== 1 || argv[0]?.startsWith("-")) {
    io.stderr.write("✗ Name one environment, e.g. `platform-env staging`.\n");
    return 2;
  }
  try {
    const facts = platformEnvironment(io.cwd, argv[0] as string);
    for (const [key, value] of Object.entries(facts)) io.stdout.write(`${key}=${value}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`✗ ${(error as Error).message}\n`);
    return 2;
  }
}
