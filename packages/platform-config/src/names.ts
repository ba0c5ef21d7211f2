/**
 * The names of what the platform creates on AWS, in one place: packages/infra creates the
 * resources under these names and deploy-kit finds them by the same names. Renaming one here
 * replaces the resource on the next `cdk deploy`, so treat them as a contract.
 */
export interface AwsNames {
  /** The ECS cluster of an environment. */
  cluster: string;
  /** The CloudFormation stack of the shared platform (VPC, cluster, ALB, ECR, roles). */
  platformStack: string;
  /** The role CI assumes through GitHub OIDC to deploy this environment. */
  deployRole: string;
  /** The role the infra workflow assumes (in the environment, after approval) to run cdk deploy. */
  infraRole: string;
  /** The read-only role the infra workflow assumes on pull requests to run cdk diff. */
  infraDiffRole: string;
  app(app: string): AppAwsNames;
}

export interface AppAwsNames {
  /** The CloudFormation stack of one app's service. */
  stack: string;
  /** The ECS service, inside the environment's cluster. */
  service: string;
  /** The task definition family: deploy-kit registers new revisions of it. */
  taskFamily: string;
  /** The ECR repository (one per environment, so environments may share an account). */
  repository: string;
  /** The SSM parameter that holds the image the app runs; deploy-kit writes it after a release. */
  imageParameter: string;
  /** The CloudWatch Logs group of the app's containers. */
  logGroup: string;
  /** The container's name in the task definition. */
  container: string;
}

export function awsNames(project: string, environment: string): AwsNames {
  const prefix = `${project}-${environment}`;
  return {
    cluster: prefix,
    platformStack: `${prefix}-platform`,
    deployRole: `${prefix}-deploy`,
    infraRole: `${prefix}-infra`,
    infraDiffRole: `${prefix}-infra-diff`,
    app: (app) => ({
      stack: `${prefix}-app-${app}`,
      service: app,
      taskFamily: `${prefix}-${app}`,
      repository: `${project}/${environment}/${app}`,
      imageParameter: `/${project}/${environment}/${app}/image`,
      logGroup: `/ecs/${project}/${environment}/${app}`,
      container: app,
    }),
  };
}

/** The AWS partition a region is in: `aws-cn` in China, `aws-us-gov` in GovCloud, else `aws`. */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The ARN of an IAM role of `account` (IAM is global: the region only picks the partition). */
export function iamRoleArn(account: string, region: string, role: string): string {
  return `arn:${awsPartition(region)}:iam::${account}:role/${role}`;
}

/** The ARN of the GitHub OIDC provider of an account (one per account, made by one platform). */
export function githubOidcProviderArn(account: string, region: string): string {
  return `arn:${awsPartition(region)}:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
}

/** The GitHub environments of one platform environment (see githubEnvironments). */
export interface GitHubEnvironments {
  /** App releases (deploy.yml): the deploy role trusts jobs in this GitHub environment. */
  release: string;
  /** `cdk deploy` (infra-deploy.yml): the infra role trusts jobs in this one only. */
  infra: string;
}

/**
 * The GitHub environments a platform environment's jobs run in. Releases and `cdk deploy` use
 * two, because the OIDC `sub` claim names the job's GitHub environment: with one environment
 * for both, every app release job could assume the infra role (and through it the CDK bootstrap
 * roles). Two environments also keep their approvals and variables apart. An environment name
 * has at most 16 characters (ENVIRONMENT_NAME), so the `-infra` one stays a valid GitHub name.
 */
export function githubEnvironments(environment: string): GitHubEnvironments {
  return { release: environment, infra: `${environment}-infra` };
}
