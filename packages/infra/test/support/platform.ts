import { type AppAwsNames, awsNames } from "@repo/platform-config/names";
import { type ResolvedApp, resolveEnvironment } from "@repo/platform-config/resolve";
import { platformConfigSchema } from "@repo/platform-config/schema";
import { TEMPLATE_PLATFORM_CONFIG } from "@repo/test-kit/template-repo";
import * as cdk from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as route53 from "aws-cdk-lib/aws-route53";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { AppServiceStack } from "../../src/app-service-stack.js";
import { applyPlatformTags, cdkJsonContext } from "../../src/platform-app.js";
import {
  type AppPlatformResources,
  type PlatformResources,
  UNRELEASED_IMAGE,
} from "../../src/platform-resources.js";
import { type AwsEnvironment, PlatformStack } from "../../src/platform-stack.js";

/** The staging environment of the template's platform.config.json, as platform-config resolves it. */
function templateStaging(): AwsEnvironment {
  const config = platformConfigSchema.parse(TEMPLATE_PLATFORM_CONFIG);
  const environment = resolveEnvironment(config, "staging", {});
  if (environment.kind !== "aws")
    throw new Error("the template's staging is not an AWS environment");
  return environment;
}

const STAGING = templateStaging();

export const PROJECT = TEMPLATE_PLATFORM_CONFIG.project;
export const GITHUB = TEMPLATE_PLATFORM_CONFIG.github;
export const ENVIRONMENT = STAGING.name;
export const DOMAIN = STAGING.domain;
export const ENV = { account: STAGING.account, region: STAGING.region } as const;

/** The template's staging environment, with `overrides` on top. */
export function awsEnvironment(overrides: Partial<AwsEnvironment> = {}): AwsEnvironment {
  return { ...STAGING, ...overrides };
}

/**
 * An app like apps/api resolved for staging, with `overrides` on top (`name` also names the
 * package, folder, subdomain and URL). desiredCount 2 sets it apart from minCount 1 in templates.
 */
export function resolvedApp(overrides: Partial<ResolvedApp> = {}): ResolvedApp {
  const name = overrides.name ?? "api";
  return {
    name,
    packageName: `@repo/${name}`,
    version: "1.0.0",
    dir: `/repo/apps/${name}`,
    subdomain: name,
    url: `https://${name}.${DOMAIN}`,
    port: 8080,
    healthCheckPath: "/healthz",
    cpu: 256,
    memory: 512,
    desiredCount: 2,
    minCount: 1,
    maxCount: 4,
    capacity: "fargate",
    architecture: "x86_64",
    environment: { LOG_LEVEL: "info", CORS_ORIGINS: `https://web.${DOMAIN}` },
    secrets: {},
    ...overrides,
  };
}

export function appNames(app: string): AppAwsNames {
  return awsNames(PROJECT, ENVIRONMENT).app(app);
}

/**
 * A new App with cdk.json's context: the same feature flags and validation as `cdk synth`, so
 * templates in tests are the ones the CLI produces (cross-stack references, ECS defaults).
 */
export function newApp(): cdk.App {
  return new cdk.App({ context: cdkJsonContext() });
}

/** An empty stack in the staging account and region, in a new App. */
export function newStack(id: string): cdk.Stack {
  return new cdk.Stack(newApp(), id, { env: ENV });
}

/** A stack holding only a two-zone VPC without NAT: the scope for a construct's bad-props tests. */
export function stackWithVpc(id: string): { stack: cdk.Stack; vpc: ec2.Vpc } {
  const stack = newStack(id);
  const vpc = new ec2.Vpc(stack, "Vpc", {
    availabilityZones: STAGING.availabilityZones,
    natGateways: 0,
  });
  return { stack, vpc };
}

export interface PlatformFixtureOptions {
  environment?: Partial<AwsEnvironment>;
  /** @default the two apps api and web on Fargate */
  apps?: ResolvedApp[];
  /** `null` for a config without GitHub. @default GITHUB */
  github?: { owner: string; repo: string; ownerId?: string; repositoryId?: string } | null;
  loadBalancerDeletionProtection?: boolean;
}

/** A tagged platform stack as bin/app.ts builds it, and its template. */
export function platformFixture(options: PlatformFixtureOptions = {}): {
  app: cdk.App;
  stack: PlatformStack;
  template: Template;
} {
  const app = newApp();
  const environment = awsEnvironment(options.environment);
  const github = options.github === undefined ? GITHUB : options.github;
  const stack = new PlatformStack(app, `${PROJECT}-${environment.name}-platform`, {
    project: PROJECT,
    ...(github ? { github } : {}),
    environment,
    apps: options.apps ?? [resolvedApp({ name: "api" }), resolvedApp({ name: "web" })],
    ...(options.loadBalancerDeletionProtection === undefined
      ? {}
      : { loadBalancerDeletionProtection: options.loadBalancerDeletionProtection }),
  });
  applyPlatformTags(stack, PROJECT, environment.name);
  return { app, stack, template: Template.fromStack(stack) };
}

export interface FixtureOptions {
  /** Apps the platform keeps a repository, log group and image parameter for. */
  apps?: string[];
  /** EC2 capacity of this instance type; none when undefined. */
  ec2InstanceType?: string;
  /** @default 2 */
  maxInstances?: number;
  /** @default true */
  deployRole?: boolean;
  /** @default true (public subnets, no NAT) */
  assignPublicIp?: boolean;
  /** @default true: a dualstack VPC and load balancer */
  dualstack?: boolean;
}

/**
 * A minimal but real platform in a plain stack, for testing a service stack without the cost of
 * a PlatformStack: a dualstack (or IPv4) VPC with public subnets, a cluster with FARGATE and
 * FARGATE_SPOT (and optional EC2 capacity), a dualstack (or IPv4) ALB with an HTTPS listener, an
 * imported hosted zone, per-app repository, log group and image parameter, and a deploy role.
 * Everything synthesizes offline: explicit env and zones.
 */
export function createPlatform(
  app: cdk.App,
  options: FixtureOptions = {},
): { stack: cdk.Stack; platform: PlatformResources } {
  const names = awsNames(PROJECT, ENVIRONMENT);
  const dualstack = options.dualstack ?? true;
  const stack = new cdk.Stack(app, "Platform", { env: ENV, stackName: names.platformStack });
  const vpc = new ec2.Vpc(stack, "Vpc", {
    availabilityZones: STAGING.availabilityZones,
    ipProtocol: dualstack ? ec2.IpProtocol.DUAL_STACK : ec2.IpProtocol.IPV4_ONLY,
    natGateways: 0,
    subnetConfiguration: [{ name: "public", subnetType: ec2.SubnetType.PUBLIC }],
  });
  const cluster = new ecs.Cluster(stack, "Cluster", {
    vpc,
    clusterName: names.cluster,
    enableFargateCapacityProviders: true,
  });
  const loadBalancerSecurityGroup = new ec2.SecurityGroup(stack, "LoadBalancerSecurityGroup", {
    vpc,
    allowAllOutbound: false,
  });
  const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, "LoadBalancer", {
    vpc,
    internetFacing: true,
    ipAddressType: dualstack ? elbv2.IpAddressType.DUAL_STACK : elbv2.IpAddressType.IPV4,
    securityGroup: loadBalancerSecurityGroup,
  });
  const httpsListener = loadBalancer.addListener("Https", {
    port: 443,
    certificates: [
      acm.Certificate.fromCertificateArn(
        stack,
        "Certificate",
        `arn:aws:acm:${ENV.region}:${ENV.account}:certificate/00000000-0000-0000-0000-000000000000`,
      ),
    ],
    defaultAction: elbv2.ListenerAction.fixedResponse(404),
  });
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, "Zone", {
    hostedZoneId: TEMPLATE_PLATFORM_CONFIG.environments.staging.hostedZoneId,
    zoneName: DOMAIN,
  });

  const apps: Record<string, AppPlatformResources> = {};
  for (const name of options.apps ?? ["api"]) {
    const appNames = names.app(name);
    apps[name] = {
      repository: new ecr.Repository(stack, `${name}Repository`, {
        repositoryName: appNames.repository,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
      }),
      logGroup: new logs.LogGroup(stack, `${name}Logs`, {
        logGroupName: appNames.logGroup,
        retention: logs.RetentionDays.ONE_MONTH,
      }),
      imageParameter: new ssm.StringParameter(stack, `${name}Image`, {
        parameterName: appNames.imageParameter,
        stringValue: UNRELEASED_IMAGE,
      }),
    };
  }

  let ec2Capacity: PlatformResources["ec2Capacity"];
  if (options.ec2InstanceType) {
    const securityGroup = new ec2.SecurityGroup(stack, "InstanceSecurityGroup", { vpc });
    securityGroup.addIngressRule(loadBalancerSecurityGroup, ec2.Port.tcpRange(32768, 65535));
    const maxInstances = options.maxInstances ?? 2;
    const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, "Instances", {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      associatePublicIpAddress: true,
      instanceType: new ec2.InstanceType(options.ec2InstanceType),
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      minCapacity: 1,
      maxCapacity: maxInstances,
      securityGroup,
    });
    const capacityProvider = new ecs.AsgCapacityProvider(stack, "Ec2CapacityProvider", {
      autoScalingGroup,
      enableManagedTerminationProtection: false,
    });
    cluster.addAsgCapacityProvider(capacityProvider);
    ec2Capacity = {
      capacityProvider,
      instanceType: options.ec2InstanceType,
      securityGroup,
      maxInstances,
    };
  }

  const deployRole =
    options.deployRole === false
      ? undefined
      : new iam.Role(stack, "DeployRole", {
          roleName: names.deployRole,
          assumedBy: new iam.AccountPrincipal(ENV.account),
        });

  return {
    stack,
    platform: {
      project: PROJECT,
      environment: ENVIRONMENT,
      domain: DOMAIN,
      vpc,
      cluster,
      taskSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: options.assignPublicIp ?? true,
      loadBalancer,
      loadBalancerSecurityGroup,
      httpsListener,
      hostedZone,
      ec2Capacity,
      apps,
      deployRole,
    },
  };
}

export interface ServiceFixture {
  app: cdk.App;
  platformStack: cdk.Stack;
  platform: PlatformResources;
  stack: AppServiceStack;
}

/** A platform (createPlatform) and one app's service stack in a fresh CDK app. */
export function serviceStack(
  overrides: Partial<ResolvedApp> = {},
  options: FixtureOptions & { listenerPriority?: number } = {},
): ServiceFixture {
  const app = newApp();
  const resolved = resolvedApp(overrides);
  const { stack: platformStack, platform } = createPlatform(app, {
    apps: [resolved.name],
    ...options,
  });
  const stack = new AppServiceStack(app, `App-${resolved.name}`, {
    env: ENV,
    platform,
    app: resolved,
    names: appNames(resolved.name),
    listenerPriority: options.listenerPriority ?? 100,
  });
  return { app, platformStack, platform, stack };
}

/** The one resource of `type` in the template, failing when there is not exactly one. */
export function only(template: Template, type: string): { id: string; resource: CfnResource } {
  const entries = Object.entries(template.findResources(type));
  if (entries.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  }
  const [id, resource] = entries[0] as [string, CfnResource];
  return { id, resource };
}

/** A resource of a synthesized template. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}
