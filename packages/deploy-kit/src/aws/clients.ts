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
