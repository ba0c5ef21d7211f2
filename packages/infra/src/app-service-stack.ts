import type { AppAwsNames } from "@repo/platform-config/names";
import type { ResolvedApp } from "@repo/platform-config/resolve";
import * as cdk from "aws-cdk-lib";
import type { Construct } from "constructs";
import { AppService } from "./constructs/app-service.js";
import { platformStackSynthesizer } from "./constructs/github-infra-roles.js";
import type { PlatformResources } from "./platform-resources.js";

export interface AppServiceStackProps extends cdk.StackProps {
  /** What the environment's platform stack provides. */
  readonly platform: PlatformResources;
  /** The app as deployed to this environment. */
  readonly app: ResolvedApp;
  /** The app's AWS names; `names.stack` is the stack name unless `stackName` is given. */
  readonly names: AppAwsNames;
  /** The app's HTTPS listener rule priority, from `listenerPriorities`. */
  readonly listenerPriority: number;
}

/**
 * One app's service, in its own stack so that apps deploy, fail and roll back independently
 * and a new app never touches the platform stack's template.
 */
export class AppServiceStack extends cdk.Stack {
  readonly service: AppService;

  constructor(scope: Construct, id: string, props: AppServiceStackProps) {
    const { platform, app, names, listenerPriority, ...stackProps } = props;
    super(scope, id, {
      description: `Service of app ${app.name} in ${platform.environment}: task definition, ECS service, listener rule, DNS records, autoscaling`,
      ...stackProps,
      // No CDK lookup role for the CI roles to assume (see platformStackSynthesizer).
      synthesizer: stackProps.synthesizer ?? platformStackSynthesizer(),
      stackName: stackProps.stackName ?? names.stack,
    });
    cdk.Tags.of(this).add("app", app.name);
    this.service = new AppService(this, "Service", { platform, app, names, listenerPriority });
    acknowledgeNagFindings(this.service);
  }
}

/**
 * cdk-nag (AwsSolutionsChecks) findings this stack accepts, each on the narrowest construct and
 * finding, with the reason. Everything else in the stack is expected to pass.
 */
function acknowledgeNagFindings(service: AppService): void {
  cdk.Validations.of(service.taskDefinition).acknowledge({
    id: "AwsSolutions-ECS2",
    reason:
      "The environment variables are the manifest's plain, non-secret settings (PORT, DEPLOY_ENV, URLs of other apps); secrets are ECS secrets read from SSM or Secrets Manager at start.",
  });
  const executionPolicy = service.executionRole.node.tryFindChild("DefaultPolicy");
  cdk.Validations.of(executionPolicy ?? service.executionRole).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "ecr:GetAuthorizationToken (the registry login) supports no resource-level permission; pulling is limited to the app's repository.",
  });
}
