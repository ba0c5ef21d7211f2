import { readFileSync } from "node:fs";
import { ConfigError, type ConfigProblem } from "@repo/platform-config/errors";
import { type LoadedPlatform, PLATFORM_CONFIG_FILE } from "@repo/platform-config/load";
import { awsNames, githubEnvironments, githubOidcProviderArn } from "@repo/platform-config/names";
import {
  environmentNames,
  type ResolvedApp,
  resolveApp,
  resolveEnvironment,
} from "@repo/platform-config/resolve";
import * as cdk from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { type AwsEnvironment, PlatformStack, platformTags } from "./platform-stack.js";

/** The AWS environments of the config (every one but `local`), in file order. */
export function awsEnvironments(loaded: LoadedPlatform): AwsEnvironment[] {
  const environments: AwsEnvironment[] = [];
  for (const name of environmentNames(loaded.platform)) {
    // Nothing of the process environment matters for AWS environments (REGISTRY is local-only).
    const environment = resolveEnvironment(loaded.platform, name, {});
    if (environment.kind === "aws") environments.push(environment);
  }
  checkSharedOidcProvider(environments, loaded);
  checkGitHubEnvironments(environments, loaded);
  return environments;
}

/** Every app of the repository, resolved for `environment`. */
export function resolvedApps(loaded: LoadedPlatform, environment: AwsEnvironment): ResolvedApp[] {
  return loaded.apps.map((app) => resolveApp(loaded, app, environment));
}

/**
 * Tags every resource under `scope` with the project, environment and `managed-by`, except SSM
 * parameters: a tag change rewrites a parameter's template value over the image deploy-kit
 * recorded (see AppRegistry).
 */
export function applyPlatformTags(scope: IConstruct, project: string, environment: string): void {
  for (const [key, value] of Object.entries(platformTags(project, environment))) {
    cdk.Tags.of(scope).add(key, value, { excludeResourceTypes: ["AWS::SSM::Parameter"] });
  }
}

/** Adds the platform stack of one AWS environment, named `<project>-<env>-platform`, tagged. */
export function addPlatformStack(
  app: cdk.App,
  loaded: LoadedPlatform,
  environment: AwsEnvironment,
): PlatformStack {
  const { project, github } = loaded.platform;
  const names = awsNames(project, environment.name);
  const stack = new PlatformStack(app, names.platformStack, {
    stackName: names.platformStack,
    project,
    ...(github ? { github } : {}),
    environment,
    apps: resolvedApps(loaded, environment),
  });
  applyPlatformTags(stack, project, environment.name);
  return stack;
}

/**
 * The context cdk.json gives the CLI (feature flags, validation), for apps built outside it: tests
 * and benchmarks synthesize exactly what `cdk synth` does.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const file = new URL("../cdk.json", import.meta.url);
  const json = JSON.parse(readFileSync(file, "utf8")) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

/**
 * An account has one OIDC provider per issuer URL, so of several environments in one account
 * only one platform stack may create it; the others name it with githubOidcProviderArn.
 */
function checkSharedOidcProvider(environments: AwsEnvironment[], loaded: LoadedPlatform): void {
  if (!loaded.platform.github) return;
  const creators = new Map<string, AwsEnvironment>();
  const problems: ConfigProblem[] = [];
  for (const environment of environments) {
    if (environment.githubOidcProviderArn !== undefined) continue;
    const first = creators.get(environment.account);
    if (!first) {
      creators.set(environment.account, environment);
      continue;
    }
    problems.push({
      file: PLATFORM_CONFIG_FILE,
      field: `environments.${environment.name}.githubOidcProviderArn`,
      value: undefined,
      message: `is required: environments ${first.name} and ${environment.name} share account ${environment.account}, which holds one GitHub OIDC provider, created by ${first.name}'s platform stack`,
      fix: `set environments.${environment.name}.githubOidcProviderArn to "${githubOidcProviderArn(environment.account, environment.region)}" and deploy ${first.name}'s platform first`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Each environment's releases and `cdk deploy` run in GitHub environments of their own
 * (githubEnvironments), which the deploy and infra roles trust by name: an environment named like
 * another's infra environment (`staging-infra` next to `staging`) would let its release jobs
 * present the `sub` that the other's infra role trusts.
 */
function checkGitHubEnvironments(environments: AwsEnvironment[], loaded: LoadedPlatform): void {
  if (!loaded.platform.github) return;
  const infra = new Map(
    environments.map((environment) => [githubEnvironments(environment.name).infra, environment]),
  );
  const problems: ConfigProblem[] = [];
  for (const environment of environments) {
    const owner = infra.get(githubEnvironments(environment.name).release);
    if (!owner) continue;
    problems.push({
      file: PLATFORM_CONFIG_FILE,
      field: `environments.${environment.name}`,
      value: environment.name,
      message: `is the name of the GitHub environment in which environment ${owner.name}'s cdk deploy runs, so ${environment.name}'s app releases could assume ${owner.name}'s infra role`,
      fix: `rename environment ${environment.name} so that it does not end in "-infra"`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
