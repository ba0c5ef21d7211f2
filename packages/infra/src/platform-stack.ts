import { ConfigError } from "@repo/platform-config/errors";
import { PLATFORM_CONFIG_FILE } from "@repo/platform-config/load";
import { awsNames, awsPartition, githubEnvironments } from "@repo/platform-config/names";
import type { ResolvedApp, ResolvedEnvironment } from "@repo/platform-config/resolve";
import * as cdk from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as route53 from "aws-cdk-lib/aws-route53";
import type { Construct } from "constructs";
import { AppRegistry } from "./constructs/app-registry.js";
import { Cluster } from "./constructs/cluster.js";
import { GitHubDeployRole, type GitHubRepository } from "./constructs/github-deploy-role.js";
import { GitHubInfraRoles, platformStackSynthesizer } from "./constructs/github-infra-roles.js";
import { supportsGitHubClaimKeys } from "./constructs/github-trust.js";
import { LoadBalancer } from "./constructs/load-balancer.js";
import { Network } from "./constructs/network.js";
import { WebAcl } from "./constructs/web-acl.js";
import { InfraValidationError } from "./errors.js";
import type { PlatformResources } from "./platform-resources.js";
import { checkEc2Capacity } from "./validation/ec2-capacity.js";

/** An AWS environment as platform-config resolves it. */
export type AwsEnvironment = Extract<ResolvedEnvironment, { kind: "aws" }>;

/** The tags on every resource of the platform (see applyPlatformTags). */
export function platformTags(project: string, environment: string): Record<string, string> {
  return { project, environment, "managed-by": "cdk" };
}

export interface PlatformStackProps extends cdk.StackProps {
  /** platform.config.json `project`: the prefix of every name (see awsNames). */
  readonly project: string;
  /**
   * The repository whose GitHub Actions may deploy, through OIDC.
   *
   * @default - no OIDC provider and no deploy role; a warning says how to add them
   */
  readonly github?: GitHubRepository;
  /** The AWS environment, resolved by platform-config (account, region, zones, domain...). */
  readonly environment: AwsEnvironment;
  /** Every app, resolved for this environment: each gets a repository, log group and parameter. */
  readonly apps: readonly ResolvedApp[];
  /**
   * Whether the load balancer refuses deletion until this is turned off again.
   *
   * @default - the environment's `loadBalancer.deletionProtection` (platform-config resolves it:
   * true for the last environment of platform.config.json), else false
   */
  readonly loadBalancerDeletionProtection?: boolean;
}

/**
 * The shared platform of one AWS environment: network, ECS cluster, load balancer with the
 * HTTPS listener and wildcard certificate, each app's repository, log group and image
 * parameter, and the GitHub deploy role. Each app's service stack builds on `resources`.
 */
export class PlatformStack extends cdk.Stack {
  public readonly resources: PlatformResources;
  public readonly network: Network;
  public readonly clusterConstruct: Cluster;
  public readonly loadBalancerConstruct: LoadBalancer;
  /** The WAF web ACL on the load balancer; undefined unless the environment turns `waf` on. */
  public readonly webAcl: WebAcl | undefined;
  /** Undefined when the config names no GitHub repository. */
  public readonly deployRole: GitHubDeployRole | undefined;
  /** The roles the infra workflow assumes for cdk diff and cdk deploy (when GitHub is set). */
  public readonly infraRoles: GitHubInfraRoles | undefined;
  public readonly appRegistries: Readonly<Record<string, AppRegistry>>;
  /** The configured zones; see `availabilityZones`. */
  private readonly zones: readonly string[];

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    const {
      project,
      github,
      environment,
      apps: appList,
      loadBalancerDeletionProtection,
      ...stackProps
    } = props;
    super(scope, id, {
      description: `${project} ${environment.name}: network, ECS cluster, load balancer, registries and deploy role`,
      ...stackProps,
      synthesizer: stackProps.synthesizer ?? platformStackSynthesizer(),
      // Explicit, never from the CLI's credentials: synth runs offline and always targets the
      // configured account.
      env: { account: environment.account, region: environment.region },
    });
    this.zones = environment.availabilityZones;
    const hostedZoneId = requireHostedZone(environment);
    const names = awsNames(project, environment.name);

    this.network = new Network(this, "Network", {
      availabilityZones: environment.availabilityZones,
      network: environment.network,
    });
    const { vpc } = this.network;

    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, "HostedZone", {
      hostedZoneId,
      zoneName: environment.domain,
    });

    this.loadBalancerConstruct = new LoadBalancer(this, "LoadBalancer", {
      vpc,
      domain: environment.domain,
      hostedZone,
      deletionProtection:
        loadBalancerDeletionProtection ?? environment.loadBalancer?.deletionProtection ?? false,
      ...(environment.loadBalancer
        ? { accessLogRetentionDays: environment.loadBalancer.accessLogRetentionDays }
        : {}),
    });
    this.webAcl = environment.waf
      ? new WebAcl(this, "WebAcl", {
          loadBalancer: this.loadBalancerConstruct.loadBalancer,
          name: `${project}-${environment.name}`,
          rateLimit: environment.waf.rateLimit,
          allowLargeBodies: environment.waf.allowLargeBodies,
        })
      : undefined;

    // EC2 capacity when an app asks for it, or when the environment configures it (so an app
    // can move to EC2 without the platform changing in the same deploy).
    const wantsEc2 = appList.some((app) => app.capacity === "ec2") || environment.ec2 !== undefined;
    this.clusterConstruct = new Cluster(this, "Cluster", {
      vpc,
      clusterName: names.cluster,
      ...(wantsEc2
        ? {
            ec2Capacity: {
              // instanceType, minInstances, maxInstances; without them the Cluster's defaults.
              ...environment.ec2,
              loadBalancerSecurityGroup: this.loadBalancerConstruct.securityGroup,
              vpcSubnets: this.network.taskSubnets,
              associatePublicIpAddress: this.network.assignPublicIp,
            },
          }
        : {}),
    });

    const ec2Capacity = this.clusterConstruct.ec2Capacity;
    if (ec2Capacity) {
      // Every app placed on the capacity, together: each service stack checks only its own app.
      checkEc2Capacity({
        apps: appList.filter((app) => app.capacity === "ec2"),
        environment: environment.name,
        instanceType: ec2Capacity.instanceType,
        maxInstances: ec2Capacity.maxInstances,
      });
    }

    const registries: Record<string, AppRegistry> = {};
    const ids = new Map<string, string>();
    for (const app of appList) {
      const appNames = names.app(app.name);
      const appId = `App${pascal(app.name)}`;
      const other = ids.get(appId);
      if (other !== undefined) {
        throw new InfraValidationError(
          this,
          "apps",
          [other, app.name],
          `apps "${other}" and "${app.name}" would share the construct id ${appId}`,
          `rename the folder apps/${app.name} so that its name differs from "${other}" in more than hyphens`,
        );
      }
      ids.set(appId, app.name);
      registries[app.name] = new AppRegistry(this, appId, {
        appName: app.name,
        repositoryName: appNames.repository,
        logGroupName: appNames.logGroup,
        imageParameterName: appNames.imageParameter,
        logRetentionDays: environment.logRetentionDays,
      });
    }
    this.appRegistries = registries;
    this.clusterConstruct.allowInstanceLogs(
      Object.values(registries).map((registry) => registry.logGroup),
    );
    this.grantImageParametersToCdkDeployRole(Object.values(registries));

    if (github) {
      const all = Object.values(registries);
      const stackNames = [names.platformStack, ...appList.map((app) => names.app(app.name).stack)];
      const githubEnvironment = githubEnvironments(environment.name);
      const claimKeys = supportsGitHubClaimKeys(awsPartition(environment.region));
      warnWithoutGitHubIds(this, github);
      this.deployRole = new GitHubDeployRole(this, "GitHubDeploy", {
        roleName: names.deployRole,
        github,
        environment: environment.name,
        githubEnvironment: githubEnvironment.release,
        claimKeys,
        ...(environment.githubOidcProviderArn === undefined
          ? {}
          : { oidcProviderArn: environment.githubOidcProviderArn }),
        repositories: all.map((registry) => registry.repository),
        imageParameters: all.map((registry) => registry.imageParameter),
        logGroups: all.map((registry) => registry.logGroup),
        clusterName: names.cluster,
        clusterArn: this.clusterConstruct.cluster.clusterArn,
        capacityProviderNames: this.clusterConstruct.ec2Capacity
          ? [this.clusterConstruct.ec2Capacity.capacityProvider.capacityProviderName]
          : [],
        stackNames,
        taskFamilies: appList.map((app) => names.app(app.name).taskFamily),
        requiredTaskDefinitionTags: {
          project,
          environment: environment.name,
        },
      });
      this.infraRoles = new GitHubInfraRoles(this, "GitHubInfra", {
        github,
        environment: environment.name,
        githubEnvironment: githubEnvironment.infra,
        claimKeys,
        oidcProviderArn: this.deployRole.oidcProviderArn,
        infraRoleName: names.infraRole,
        diffRoleName: names.infraDiffRole,
        stackNames,
        releaseRecords: {
          clusterName: names.cluster,
          taskFamilies: appList.map((app) => names.app(app.name).taskFamily),
          repositories: all.map((registry) => registry.repository),
          imageParameters: all.map((registry) => registry.imageParameter),
        },
      });
    } else {
      this.deployRole = undefined;
      this.infraRoles = undefined;
      cdk.Annotations.of(this).addWarningV2(
        "@repo/infra:NoGitHubDeployRole",
        `No GitHub deploy role for ${environment.name}: platform.config.json names no GitHub repository, so CI cannot deploy. To enable it, add "github": { "owner": "<owner>", "repo": "<repo>" } to platform.config.json and run cdk deploy ${id} again.`,
      );
    }

    this.resources = {
      project,
      environment: environment.name,
      domain: environment.domain,
      vpc,
      cluster: this.clusterConstruct.cluster,
      taskSubnets: this.network.taskSubnets,
      assignPublicIp: this.network.assignPublicIp,
      loadBalancer: this.loadBalancerConstruct.loadBalancer,
      loadBalancerSecurityGroup: this.loadBalancerConstruct.securityGroup,
      httpsListener: this.loadBalancerConstruct.httpsListener,
      hostedZone,
      ec2Capacity: this.clusterConstruct.ec2Capacity,
      // Each registry is an app's AppPlatformResources.
      apps: registries,
      deployRole: this.deployRole?.role,
    };
    this.exportContract(this.resources);
  }

  /**
   * Exports every value of the contract a service stack may reference, whether or not one does.
   *
   * The service stacks read these values through strong cross-stack references: an Export here,
   * Fn::ImportValue there. CloudFormation documents Fn::ImportValue inside Fn::Split, Fn::Join
   * and Fn::Sub, where the service stacks need it, and refuses to change or delete an export
   * another stack imports ("You can't modify or remove an output value that is referenced by
   * another stack", Fn::ImportValue in the CloudFormation Template Reference). So a change that
   * would replace a resource the apps use (the VPC, the cluster, the listener, the load balancer)
   * fails on this stack with a message that names the importing stacks, instead of succeeding
   * while every app stack keeps the old value until its next deploy, as a weak reference
   * (Fn::GetStackOutput) would. Removing an app removes its exports too, so its stack must be
   * destroyed before the platform is deployed without it (see the README).
   *
   * CDK adds an export the first time a consumer references a value; exporting the whole contract
   * up front keeps the set independent of the consumers, so no app changing what it uses (moving
   * to EC2, say) makes this stack drop an export another stack still imports. The names are the
   * ones CDK gives those references, derived from the construct paths, which stay stable.
   */
  /**
   * CloudFormation resolves a template parameter of type AWS::SSM::Parameter::Value with the
   * credentials of whoever creates the change set: `cdk deploy` calls it as the CDK bootstrap
   * deploy role (`cdk-<qualifier>-deploy-role-<account>-<region>`), whose own policy reads only
   * `/cdk-bootstrap/<qualifier>/version` ("CreateChangeSet uses this to evaluate any SSM
   * parameters", in the CDK bootstrap template). Each app stack reads its image parameter that
   * way, so without this grant every `cdk deploy` of an app stack fails with "User doesn't have
   * permission to call ssm:GetParameters". The grant is an inline policy of this stack on the
   * bootstrap role, read-only, on exactly this environment's image parameters.
   */
  private grantImageParametersToCdkDeployRole(registries: AppRegistry[]): void {
    if (registries.length === 0) return;
    const qualifier =
      (this.node.tryGetContext("@aws-cdk/core:bootstrapQualifier") as string | undefined) ??
      cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const role = iam.Role.fromRoleName(
      this,
      "CdkDeployRole",
      `cdk-${qualifier}-deploy-role-${this.account}-${this.region}`,
      { mutable: true },
    );
    new iam.Policy(this, "CdkDeployRoleReadsImageParameters", {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: "ResolveImageParameters",
          actions: ["ssm:GetParameters", "ssm:GetParameter"],
          resources: registries.map((registry) => registry.imageParameter.parameterArn),
        }),
      ],
    });
  }

  private exportContract(resources: PlatformResources): void {
    const values: string[] = [
      resources.vpc.vpcId,
      ...resources.vpc.selectSubnets(resources.taskSubnets).subnetIds,
      resources.cluster.clusterName,
      resources.loadBalancer.loadBalancerDnsName,
      resources.loadBalancer.loadBalancerCanonicalHostedZoneId,
      resources.loadBalancerSecurityGroup.securityGroupId,
      resources.httpsListener.listenerArn,
    ];
    if (resources.deployRole) values.push(resources.deployRole.roleName);
    if (resources.ec2Capacity) {
      values.push(resources.ec2Capacity.capacityProvider.capacityProviderName);
    }
    for (const app of Object.values(resources.apps)) {
      values.push(
        app.repository.repositoryArn,
        app.logGroup.logGroupName,
        app.logGroup.logGroupArn,
      );
    }
    for (const value of values) this.exportValue(value);
  }

  /**
   * The environment's configured zones. Without this override a stack with an explicit account
   * and region asks the CLI to look its zones up (an AWS call), which fails without credentials.
   */
  override get availabilityZones(): string[] {
    // Undefined only if read during super(), before the field is set.
    return this.zones ? [...this.zones] : super.availabilityZones;
  }
}

/**
 * Without the repository's immutable ids the roles trust it by name: a repository deleted and
 * re-created under that name (by anyone who gets the name) would be trusted too, and in the
 * commercial partition no `repository_id` condition pins it.
 */
function warnWithoutGitHubIds(stack: cdk.Stack, github: GitHubRepository): void {
  const missing = (["ownerId", "repositoryId"] as const).filter((key) => github[key] === undefined);
  if (missing.length === 0) return;
  cdk.Annotations.of(stack).addWarningV2(
    "@repo/infra:GitHubIdsMissing",
    `platform.config.json sets no github.${missing.join(" or github.")}: the GitHub roles trust ${github.owner}/${github.repo} by name only, so a repository re-created under that name would be trusted too. Set "ownerId" and "repositoryId" in "github" to the output of \`gh api repos/${github.owner}/${github.repo} --jq '{ownerId: .owner.id|tostring, repositoryId: .id|tostring}'\` and run cdk deploy ${stack.stackName} again.`,
  );
}

/** `web-admin` -> `WebAdmin`: a stable construct id per app. */
function pascal(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function requireHostedZone(environment: AwsEnvironment): string {
  if (environment.hostedZoneId !== undefined) return environment.hostedZoneId;
  throw new ConfigError([
    {
      file: PLATFORM_CONFIG_FILE,
      field: `environments.${environment.name}.hostedZoneId`,
      value: undefined,
      message: `is required to deploy ${environment.name} to AWS: the wildcard certificate for *.${environment.domain} is validated through that hosted zone, and each app's record is created in it`,
      fix: `create a public hosted zone for ${environment.domain} in Route 53 (or find it with \`aws route53 list-hosted-zones-by-name --dns-name ${environment.domain}\`) and set environments.${environment.name}.hostedZoneId to its id, such as "Z0123456789ABCDEFGHIJ"`,
    },
  ]);
}
