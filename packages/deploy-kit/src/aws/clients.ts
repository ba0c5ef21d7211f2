import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";

/**
 * The AWS clients deploy-kit uses, one set per environment (region). Each honours the SDK's
 * standard configuration: the credential chain (env, SSO, profiles, web identity from GitHub
 * OIDC, instance roles), AWS_REGION/AWS_PROFILE, and AWS_ENDPOINT_URL(_<SERVICE>) for any
 * AWS-compatible endpoint. Tests replace them with aws-sdk-client-mock.
 */
export interface AwsClients {
  ecs: ECSClient;
  ecr: ECRClient;
  ssm: SSMClient;
  logs: CloudWatchLogsClient;
  elb: ElasticLoadBalancingV2Client;
  autoscaling: AutoScalingClient;
  cloudformation: CloudFormationClient;
  sts: STSClient;
}

/** The first Node.js major the AWS SDK for JavaScript supports after January 2027. */
const SDK_NODE_MAJOR = 22;

/**
 * On Node.js below 22 the SDK prints a seven-line deprecation warning through
 * process.emitWarning, on every run and in the middle of `--json` output's stream. deploy-kit
 * keeps running on Node.js 20 (the tooling supports >=20.19; the images run 24), so it turns the
 * SDK's warning off (its documented AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED) and returns
 * the one line to show instead, or undefined on a supported Node.js or when the user already chose.
 */
export function quietNodeSupportWarning(
  env: Record<string, string | undefined> = process.env,
  version: string = process.version,
): string | undefined {
  const major = Number.parseInt(version.replace(/^v/, ""), 10);
  if (
    !(major < SDK_NODE_MAJOR) ||
    env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined
  )
    return undefined;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  return `Node.js ${version}: AWS SDK releases after January 2027 need Node.js ${SDK_NODE_MAJOR} or later (this deploy-kit works on ${version}; \`nvm use\` picks the repository's Node.js 24)`;
}

export function createAwsClients(region: string): AwsClients {
  // "adaptive" retries back off on throttling client-side too, which keeps a long wait far from
  // the account's API rate limits.
  const config = { region, maxAttempts: 6, retryMode: "adaptive" as const };
  return {
    ecs: new ECSClient(config),
    ecr: new ECRClient(config),
    ssm: new SSMClient(config),
    logs: new CloudWatchLogsClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    autoscaling: new AutoScalingClient(config),
    cloudformation: new CloudFormationClient(config),
    sts: new STSClient(config),
  };
}
